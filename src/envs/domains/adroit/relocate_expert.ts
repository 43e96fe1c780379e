/**
 * The scripted relocate expert: a power grasp from above, then a carry. It moves the hand with the arm's three
 * slides only (the hinges stay at 0, so the palm translates with the slides) and switches phases on what it sees:
 *   reach:   palm 6 cm above the grasp point, hand open, 1.6 cm per step;
 *   descend: palm down onto the ball (pressing 4 mm, so the table holds the ball still while the hand closes);
 *   close:   arm still, fingers and thumb close for CLOSE_STEPS steps;
 *   lift:    straight up LIFT over LIFT_STEPS steps;
 *   carry:   the ball (as held: palm minus ball, measured at the end of the lift) to the target, 0.7 cm per step,
 *            and held there to the end of the episode.
 * The grasp point puts the ball centre 4.5 cm ahead of the palm centre, under the knuckles, and 8 mm towards the
 * thumb, so the curled fingers wrap its front and the thumb its back. Slide commands are rate-limited, which keeps the ball in the grasp.
 * Deterministic: it draws nothing from its random stream (createRelocateExpert adds the demos' seeded noise).
 */
import type { Rng } from '../../../util/rng.js';
import type { Physics } from '../../mujoco.js';
import type { Vec3 } from '../../scene.js';
import type { Expert, Task } from '../../task.js';
import { NoiseInjectedExpert, type NoiseInjection } from '../../experts/noise_injected.js';
import { HAND_JOINTS, controlToAction } from './hand.js';
import { ARM_JOINTS, ARM_JOINT_COUNT, BALL_RADIUS, RELOCATE_ACTION_DIM, relocateHandles } from './relocate.js';

/**
 * Ball centre relative to the palm centre at the grasp: ahead (+y, under the knuckles) and towards the thumb (-x).
 * The middle of the region where the grasp holds (20 / 20 seeds with the palm up to ~7 mm off it either way, in
 * x and y); v1 grasped 4 cm ahead and centred in x, at that region's edge: 1 cm towards the thumb failed every
 * seed, so a policy had to place the palm more precisely than its pixels show the ball.
 */
const GRASP_BALL_AHEAD = 0.045;
const GRASP_BALL_THUMBWARD = 0.008;
/** Palm face height above the ball's top at the grasp: negative presses down on the ball. */
const GRASP_PRESS = -0.004;
const REACH_CLEARANCE = 0.06;
/** Palm within this horizontal distance of the reach point ends the reach; within this height, the descent. */
const REACH_TOLERANCE = 0.01;
const DESCEND_TOLERANCE = 0.006;
const CLOSE_STEPS = 15;
const LIFT = 0.08;
const LIFT_STEPS = 10;
/** Slide speed limits, metres per step: reaching with the hand empty, moving the ball. */
const REACH_SPEED = 0.016;
const CARRY_SPEED = 0.007;

/** Hand joint targets (radians) by joint name; joints not named stay at 0. */
type HandPose = Readonly<Record<string, number>>;
/** Thumb swung out of the palm plane a little, so it clears the ball on the way down. */
const OPEN_HAND: HandPose = { THJ3: 0.3 };
/**
 * Fingers curled fully (their targets lie past the ball, so they squeeze it), the little finger cupped, the thumb
 * flexed down behind the ball and bent at the MCP and IP joints.
 */
const GRASP_HAND: HandPose = {
  ...Object.fromEntries(['FF', 'MF', 'RF', 'LF'].flatMap((f) => [[`${f}J2`, 1.3], [`${f}J1`, 1.6], [`${f}J0`, 1.6]])),
  LFJ4: 0.3,
  THJ3: 1.3,
  THJ1: 0.3,
  THJ0: -0.5,
};

function handActions(pose: HandPose): Float64Array {
  return Float64Array.from(HAND_JOINTS, (j) => controlToAction(pose[j.name] ?? 0, j.ctrlrange));
}

type Phase = 'reach' | 'descend' | 'close' | 'lift' | 'carry';

export class RelocateExpert implements Expert {
  readonly name = 'scripted-grasp-v2';
  private readonly openHand = handActions(OPEN_HAND);
  private readonly graspHand = handActions(GRASP_HAND);
  private readonly action = new Float64Array(RELOCATE_ACTION_DIM);
  private phase: Phase = 'reach';
  private phaseStart = 0;
  /** Slide targets sent last step (rate-limited towards the phase's goal). */
  private command: Vec3 = [0, 0, 0];
  /** Slide positions when the hand started closing. */
  private holdSlides: Vec3 = [0, 0, 0];
  /** Palm minus ball once lifted: where the palm goes relative to the target. */
  private heldOffset: Vec3 = [0, 0, 0];

  reset(physics: Physics, _rng: Rng): void {
    this.phase = 'reach';
    this.phaseStart = 0;
    this.command = relocateHandles(physics).slides();
  }

  act(physics: Physics, _task: Task, step: number): Float64Array {
    const h = relocateHandles(physics);
    const palm = h.palmPos();
    const slides = h.slides();
    const ball = h.ballPos();
    const grasp: Vec3 = [ball[0] + GRASP_BALL_THUMBWARD, ball[1] - GRASP_BALL_AHEAD, ball[2] + BALL_RADIUS + GRASP_PRESS];
    // With the hinges at 0 the palm moves with the slides: slide target = palm target - (palm - slides).
    const slidesFor = (palmTarget: Vec3): Vec3 => [0, 1, 2].map((i) => palmTarget[i]! - (palm[i]! - slides[i]!)) as Vec3;
    let goal: Vec3;
    if (this.phase === 'reach') {
      const above: Vec3 = [grasp[0], grasp[1], grasp[2] + REACH_CLEARANCE];
      if (Math.hypot(palm[0] - above[0], palm[1] - above[1]) < REACH_TOLERANCE) this.enter('descend', step);
      goal = slidesFor(above);
    }
    if (this.phase === 'descend') {
      if (Math.abs(palm[2] - grasp[2]) < DESCEND_TOLERANCE) {
        this.enter('close', step);
        this.holdSlides = slides;
      }
      goal = slidesFor(grasp);
    }
    if (this.phase === 'close') {
      if (step - this.phaseStart >= CLOSE_STEPS) this.enter('lift', step);
      goal = this.holdSlides;
    }
    if (this.phase === 'lift') {
      if (step - this.phaseStart >= LIFT_STEPS) {
        this.enter('carry', step);
        this.heldOffset = [palm[0] - ball[0], palm[1] - ball[1], palm[2] - ball[2]];
      }
      goal = [this.holdSlides[0], this.holdSlides[1], this.holdSlides[2] + LIFT];
    }
    if (this.phase === 'carry') {
      const target = h.targetPos();
      goal = slidesFor([target[0] + this.heldOffset[0], target[1] + this.heldOffset[1], target[2] + this.heldOffset[2]]);
    }
    const speed = this.phase === 'reach' || this.phase === 'descend' ? REACH_SPEED : CARRY_SPEED;
    for (let i = 0; i < 3; i++) {
      const c = this.command[i]!;
      this.command[i] = c + Math.max(-speed, Math.min(speed, goal![i]! - c));
    }
    ARM_JOINTS.forEach((joint, i) => {
      this.action[i] = controlToAction(i < 3 ? this.command[i]! : 0, joint.range);
    });
    this.action.set(this.phase === 'reach' || this.phase === 'descend' ? this.openHand : this.graspHand, ARM_JOINT_COUNT);
    return this.action;
  }

  private enter(phase: Phase, step: number): void {
    this.phase = phase;
    this.phaseStart = step;
  }
}

/**
 * The noise relocate's demos are recorded with (DART): std 0.02 of the [-1, 1] range on the three slides (x 5 mm, y
 * 8 mm, z 3 mm per step), which the expert tolerates (20 / 20 seeds); the same noise on all 30 components, or 0.05
 * on the slides, fails on 6-7 of 20, mostly by dropping the ball during the carry.
 */
export const RELOCATE_DEMO_NOISE: NoiseInjection = { std: 0.02, components: [0, 1, 2] };

/**
 * relocate's demo expert: the scripted grasp, executed with RELOCATE_DEMO_NOISE added to its slide targets and
 * recorded with its clean actions as labels.
 */
export function createRelocateExpert(): Expert {
  const inner = new RelocateExpert();
  return new NoiseInjectedExpert(inner, RELOCATE_DEMO_NOISE, RELOCATE_ACTION_DIM, `${inner.name}-dart-slides${RELOCATE_DEMO_NOISE.std}`);
}
