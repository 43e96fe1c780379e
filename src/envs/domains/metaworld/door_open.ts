/**
 * door-open (Factor-World's task list): swing a hinged cabinet door open by its handle.
 *
 * The cabinet (origin at the centre of its footprint) stands at (U(-0.1, 0.1), U(0.85, 0.95), 0). Its door covers
 * the front (robot-facing, -y) side and turns about a vertical hinge at its +x edge, opening towards the robot
 * (0..120 degrees, with friction so it stays where it is left). A handle bar along the door's width stands 4.5 cm
 * off its face near the free edge. The hand starts at (0, 0.6, 0.2). Success: the door opened by at least
 * DOOR_SUCCESS_ANGLE (80 degrees; upstream asks for the handle within 8 cm of its position with the door about
 * 90 degrees open). The scripted expert closes the gripper, hooks it into the gap behind the handle from above and
 * pulls the handle round the hinge, 12 degrees ahead of the door at a time, to 100 degrees, then holds it there.
 */
import { registerBuiltInTask } from '../../registry.js';
import { tolerance } from '../../rewards.js';
import { el, resolveObjectScale, type Vec3 } from '../../scene.js';
import type { Physics } from '../../mujoco.js';
import { jointQposAddress, objectId, perPhysics } from '../../named.js';
import type { Rng } from '../../../util/rng.js';
import type { SceneOptions, TaskDefinition } from '../../task.js';
import { armHandles } from './arm.js';
import { ArmTask, FACTORWORLD_ONLY, metaworldTask, type ArmLayout } from './arm_task.js';
import { HookAndPullExpert } from './hook_and_pull.js';
import { distance, sitePos } from '../../positions.js';
import { fixtureReward } from './shaping.js';
import { tabletopScene } from './tabletop.js';

const DEG = Math.PI / 180;
/** Success: door angle, radians. */
export const DOOR_SUCCESS_ANGLE = 80 * DEG;
/** MJCF hinge ranges are in degrees (compiler default). */
const DOOR_RANGE_DEGREES = 120;
const CABINET_HALF: Vec3 = [0.12, 0.1, 0.1];
const DOOR_THICKNESS = 0.016;
const HANDLE_STANDOFF = 0.045;
const HANDLE_RADIUS = 0.01;
const HANDLE_HALF_LENGTH = 0.045;
/** Handle centre from the free edge of the door, along the door. */
const HANDLE_INSET = 0.06;
/** Handle height below the door top (the palm then stays above the door while the fingers hook in). */
const HANDLE_BELOW_TOP = 0.04;
const HAND_START: Vec3 = [0, 0.6, 0.2];

/** Cabinet, door and handle. `scale` widens and heightens cabinet and door; the handle keeps its size. */
function doorElements(scale: number) {
  const [hx, hy, hz] = [CABINET_HALF[0] * scale, CABINET_HALF[1], CABINET_HALF[2] * scale];
  const wall = 0.01;
  const box = (name: string, pos: Vec3, size: Vec3, material = 'fixture') => el('geom', { name, type: 'box', pos, size, material });
  const cabinet = [
    box('cabinet_top', [0, 0, 2 * hz - wall / 2], [hx, hy, wall / 2]),
    box('cabinet_back', [0, hy - wall / 2, hz], [hx, wall / 2, hz]),
    box('cabinet_left', [-hx + wall / 2, 0, hz], [wall / 2, hy, hz]),
    box('cabinet_right', [hx - wall / 2, 0, hz], [wall / 2, hy, hz]),
    box('cabinet_bottom', [0, 0, wall / 2], [hx, hy, wall / 2]),
  ];
  // The door frame: hinge line at the cabinet's front right edge; the door extends along -x from it.
  const doorWidth = 2 * hx;
  const faceY = -DOOR_THICKNESS;
  const handleY = faceY - HANDLE_STANDOFF;
  const handleX = -doorWidth + HANDLE_INSET;
  const handleZ = 2 * hz - HANDLE_BELOW_TOP;
  const door = el('body', { name: 'door', pos: [hx, -hy, 0] }, [
    el('joint', { name: 'door', type: 'hinge', axis: [0, 0, 1], range: [0, DOOR_RANGE_DEGREES], damping: 0.5, frictionloss: 0.05, armature: 0.02 }),
    el('geom', { name: 'door_panel', type: 'box', pos: [-hx, -DOOR_THICKNESS / 2, hz], size: [hx - 0.002, DOOR_THICKNESS / 2, hz - 0.002], material: 'object', mass: 0.3 }),
    el('geom', {
      name: 'door_handle',
      type: 'capsule',
      fromto: [handleX - HANDLE_HALF_LENGTH, handleY, handleZ, handleX + HANDLE_HALF_LENGTH, handleY, handleZ],
      size: [HANDLE_RADIUS],
      material: 'object',
      mass: 0.02,
    }),
    ...[-1, 1].map((side) =>
      box(`door_handle_post_${side < 0 ? 'left' : 'right'}`, [handleX + side * (HANDLE_HALF_LENGTH - 0.006), (handleY + faceY) / 2, handleZ], [0.006, (faceY - handleY) / 2, 0.006], 'object'),
    ),
    // Middle of the gap between handle and door face: where the closed fingers hook in.
    el('site', { name: 'door_grip', pos: [handleX, (handleY + HANDLE_RADIUS + faceY) / 2, handleZ], size: [0.005], rgba: [0, 0, 1, 0], group: 4 }),
    el('site', { name: 'door_hinge', pos: [0, 0, handleZ], size: [0.005], rgba: [0, 1, 0, 0], group: 4 }),
  ]);
  return el('body', { name: 'door_cabinet', pos: [0, 0.9, 0] }, [...cabinet, door]);
}

export function buildDoorOpenScene(options: SceneOptions = {}): string {
  const scene = tabletopScene('door-open');
  scene.world(doorElements(resolveObjectScale(options)));
  // The door turns in front of the cabinet; its hinge, not contacts with the cabinet, holds it.
  scene.contact(el('exclude', { body1: 'door_cabinet', body2: 'door' }));
  return scene.build(options);
}

class DoorHandles {
  readonly doorQpos: number;
  readonly grip: number;
  readonly hinge: number;
  constructor(readonly physics: Physics) {
    this.doorQpos = jointQposAddress(physics, 'door');
    this.grip = objectId(physics, 'site', 'door_grip');
    this.hinge = objectId(physics, 'site', 'door_hinge');
  }
  /** Door angle, radians (0 closed). */
  angle(): number {
    return this.physics.views.qpos[this.doorQpos]!;
  }
  gripPos(): Vec3 {
    return sitePos(this.physics, this.grip);
  }
  hingePos(): Vec3 {
    return sitePos(this.physics, this.hinge);
  }
}

/** Looked up once per physics. */
const doorHandles = perPhysics((physics) => new DoorHandles(physics));

class DoorOpenTask extends ArmTask {
  sampleLayout(rng: Rng, _physics: Physics): ArmLayout {
    return { hand: HAND_START, fixtures: { door_cabinet: [rng.uniform(-0.1, 0.1), rng.uniform(0.85, 0.95), 0] }, objects: {} };
  }

  /**
   * fixtureReward: reach to the gap behind the handle, and
   *   progress = tolerance(DOOR_SUCCESS_ANGLE - angle, bounds [-inf, 0], margin DOOR_SUCCESS_ANGLE, long_tail).
   */
  reward(physics: Physics): number {
    const door = doorHandles(physics);
    const open = tolerance(DOOR_SUCCESS_ANGLE - door.angle(), { bounds: [-Infinity, 0], margin: DOOR_SUCCESS_ANGLE, sigmoid: 'long_tail' });
    return fixtureReward(distance(armHandles(physics).tcpPos(), door.gripPos()), open);
  }

  success(physics: Physics): boolean {
    return doorHandles(physics).angle() >= DOOR_SUCCESS_ANGLE;
  }
}

/** Hooks behind the handle and pulls it round the hinge, 12 degrees ahead of the door, to 100 degrees open. */
function doorOpenExpert(): HookAndPullExpert {
  return new HookAndPullExpert({
    gripPoint: (physics) => doorHandles(physics).gripPos(),
    pullTarget: (physics) => {
      const door = doorHandles(physics);
      const [grip, hinge] = [door.gripPos(), door.hingePos()];
      const turn = Math.min(100 * DEG, door.angle() + 12 * DEG) - door.angle();
      const [dx, dy] = [grip[0] - hinge[0], grip[1] - hinge[1]];
      return [hinge[0] + dx * Math.cos(turn) - dy * Math.sin(turn), hinge[1] + dx * Math.sin(turn) + dy * Math.cos(turn), grip[2]];
    },
    pullSpeed: 0.6,
    // Far enough in front of the handle that the palm, which reaches well above the tool centre, rises clear of it.
    backOff: 0.15,
  });
}

export const doorOpen: TaskDefinition = metaworldTask({
  name: 'door-open',
  version: 2,
  benchmarks: FACTORWORLD_ONLY,
  buildScene: buildDoorOpenScene,
  createTask: () => new DoorOpenTask(),
  createExpert: doorOpenExpert,
});

registerBuiltInTask(doorOpen);
