/**
 * hammer: grasp a hammer and drive a nail into a box with its head.
 *
 * The hammer (free, 0.23 kg) lies on the table at (U(-0.1, 0.1), U(0.4, 0.5), 0): a handle capsule (r 0.02,
 * half-length 0.14) along x and a box head 0.16 m further along +x, striking face towards +y. The nail box stands
 * at (0.24, 0.85, 0); the nail's head sits at (0.24, 0.64, 0.11) and slides along +y into the box over 0..0.1 m
 * against a little friction. Success: the nail driven more than 9 cm (its joint > 0.09). The hand starts at
 * (0, 0.4, 0.2) as upstream. The scripted expert grasps the handle next to its centre of mass (near the head),
 * lifts the hammer to nail height, brings the head 5 cm in front of the nail and pushes it through.
 */
import { registerBuiltInTask } from '../../registry.js';
import { el, resolveObjectScale, type Vec3 } from '../../scene.js';
import type { Physics } from '../../mujoco.js';
import { jointQposAddress, objectId, perPhysics } from '../../named.js';
import type { Rng } from '../../../util/rng.js';
import type { SceneOptions, TaskDefinition } from '../../task.js';
import { ArmTask, CORTEXBENCH_AND_FACTORWORLD, metaworldTask, type ArmLayout, type ObjectArea } from './arm_task.js';
import { sitePos } from '../../positions.js';
import { PickAndPlaceExpert } from './pick_and_place.js';
import { graspReward } from './shaping.js';
import { tabletopScene } from './tabletop.js';

const HANDLE_RADIUS = 0.02;
const HANDLE_HALF_LENGTH = 0.14;
const HEAD_OFFSET = 0.16;
const HEAD_HALF: Vec3 = [0.025, 0.05, 0.02];
/** Where the fingers close on the handle (hammer frame, x): next to the centre of mass, so it hangs level. */
const GRASP_X = 0.1;
const NAIL_BOX: Vec3 = [0.24, 0.85, 0];
/** Nail head at rest, relative to the nail box origin. */
const NAIL_HEAD: Vec3 = [0, -0.21, 0.11];
export const NAIL_TRAVEL = 0.1;
/** Success: nail joint above this, metres. */
export const NAIL_SUCCESS_DEPTH = 0.09;
const HAND_START: Vec3 = [0, 0.4, 0.2];

/** The hammer at object scale `s` (thicker and longer; the grasp point and head move with it). */
function hammerElements(s: number) {
  return el('body', { name: 'hammer', pos: [0, 0.45, 0] }, [
    el('freejoint', { name: 'hammer' }),
    el('geom', {
      name: 'hammer_handle',
      type: 'capsule',
      fromto: [-HANDLE_HALF_LENGTH * s, 0, HANDLE_RADIUS * s, HANDLE_HALF_LENGTH * s, 0, HANDLE_RADIUS * s],
      size: [HANDLE_RADIUS * s],
      material: 'object',
      mass: 0.08,
      friction: [1, 0.01, 0.0001],
    }),
    el('geom', { name: 'hammer_head', type: 'box', pos: [HEAD_OFFSET * s, 0, HEAD_HALF[2] * s], size: HEAD_HALF.map((v) => v * s), material: 'object', mass: 0.15 }),
    el('site', { name: 'hammer_grasp', pos: [GRASP_X * s, 0, HANDLE_RADIUS * s], size: [0.005], rgba: [0, 0, 1, 0], group: 4 }),
    el('site', { name: 'hammer_face', pos: [HEAD_OFFSET * s, HEAD_HALF[1] * s, HEAD_HALF[2] * s], size: [0.005], rgba: [0, 1, 0, 0], group: 4 }),
  ]);
}

function nailBoxElements() {
  const boxFrontY = NAIL_HEAD[1] + NAIL_TRAVEL;
  const boxHalf: Vec3 = [0.1, -boxFrontY, 0.1];
  return el('body', { name: 'nail_box', pos: NAIL_BOX }, [
    el('geom', { name: 'nail_box', type: 'box', pos: [0, 0, boxHalf[2]], size: boxHalf, material: 'fixture' }),
    el('body', { name: 'nail', pos: NAIL_HEAD }, [
      el('joint', { name: 'nail', type: 'slide', axis: [0, 1, 0], range: [0, NAIL_TRAVEL], damping: 2, frictionloss: 0.5, armature: 0.05 }),
      el('geom', { name: 'nail_head', type: 'cylinder', fromto: [0, 0, 0, 0, 0.008, 0], size: [0.02], material: 'fixture', mass: 0.02 }),
      el('geom', { name: 'nail_shaft', type: 'cylinder', fromto: [0, 0.008, 0, 0, NAIL_TRAVEL + 0.02, 0], size: [0.005], material: 'fixture', mass: 0.01 }),
      el('site', { name: 'nail_head', pos: [0, 0, 0], size: [0.005], rgba: [0, 1, 0, 0], group: 4 }),
    ]),
  ]);
}

export function buildHammerScene(options: SceneOptions = {}): string {
  const scene = tabletopScene('hammer');
  scene.world(hammerElements(resolveObjectScale(options)), nailBoxElements());
  // The nail slides inside its box.
  scene.contact(el('exclude', { body1: 'nail_box', body2: 'nail' }));
  return scene.build(options);
}

class HammerHandles {
  readonly nailQpos: number;
  readonly grasp: number;
  readonly face: number;
  readonly nailHead: number;
  constructor(readonly physics: Physics) {
    this.nailQpos = jointQposAddress(physics, 'nail');
    this.grasp = objectId(physics, 'site', 'hammer_grasp');
    this.face = objectId(physics, 'site', 'hammer_face');
    this.nailHead = objectId(physics, 'site', 'nail_head');
  }
  nailDepth(): number {
    return this.physics.views.qpos[this.nailQpos]!;
  }
  graspPos(): Vec3 {
    return sitePos(this.physics, this.grasp);
  }
  facePos(): Vec3 {
    return sitePos(this.physics, this.face);
  }
  nailHeadPos(): Vec3 {
    return sitePos(this.physics, this.nailHead);
  }
  /** Where the nail head is once driven to the success depth. */
  drivenHeadPos(): Vec3 {
    const [x, y, z] = this.nailHeadPos();
    return [x, y - this.nailDepth() + NAIL_SUCCESS_DEPTH, z];
  }
}

/** Looked up once per physics. */
const hammerHandles = perPhysics((physics) => new HammerHandles(physics));

/** The object-position factor keeps the hammer on the robot's side of the table, clear of the nail box at y 0.64-0.85. */
const HAMMER_AREA: ObjectArea = { x: [-0.35, 0.35], y: [0.4, 0.55] };

class HammerTask extends ArmTask {
  constructor() {
    super(undefined, HAMMER_AREA);
  }

  sampleLayout(rng: Rng, _physics: Physics): ArmLayout {
    const pos: Vec3 = [rng.uniform(-0.1, 0.1), rng.uniform(0.4, 0.5), 0];
    return { hand: HAND_START, fixtures: { nail_box: NAIL_BOX }, objects: { hammer: { pos } } };
  }

  /** graspReward: grasp = the handle point, object = the head's striking face, goal = the nail head driven 9 cm. */
  reward(physics: Physics): number {
    const hammer = hammerHandles(physics);
    const success = this.success(physics);
    return graspReward(physics, { grasp: hammer.graspPos(), object: hammer.facePos(), goal: hammer.drivenHeadPos(), placeTolerance: 0.01, success });
  }


  success(physics: Physics): boolean {
    return hammerHandles(physics).nailDepth() > NAIL_SUCCESS_DEPTH;
  }
}

function hammerExpert(): PickAndPlaceExpert {
  return new PickAndPlaceExpert({
    graspPoint: (physics) => hammerHandles(physics).graspPos(),
    objectPoint: (physics) => hammerHandles(physics).facePos(),
    // 5 cm in front of the nail head at its height, then through it to full travel (no further: pushing the head
    // into the box would only twist the hammer in the grasp).
    approachPoint: (physics) => {
      const nail = hammerHandles(physics).nailHeadPos();
      return [nail[0], nail[1] - hammerHandles(physics).nailDepth() - 0.05, nail[2]];
    },
    goal: (physics) => {
      const nail = hammerHandles(physics).nailHeadPos();
      return [nail[0], nail[1] - hammerHandles(physics).nailDepth() + NAIL_TRAVEL, nail[2]];
    },
    approachGrip: -1,
    carryHeight: NAIL_BOX[2] + NAIL_HEAD[2],
    alignTolerance: 0.01,
    placeSpeed: 0.6,
    hold: true,
  });
}

export const hammer: TaskDefinition = metaworldTask({
  name: 'hammer',
  version: 1,
  benchmarks: CORTEXBENCH_AND_FACTORWORLD,
  buildScene: buildHammerScene,
  createTask: () => new HammerTask(),
  createExpert: hammerExpert,
});

registerBuiltInTask(hammer);
