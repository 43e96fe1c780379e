/**
 * drawer-open: pull a drawer 20 cm out of its cabinet, towards the robot (-y).
 *
 * The cabinet (origin on the table, at the centre of its footprint) is placed at (U(-0.1, 0.1), 0.9, 0); the
 * drawer slides out along -y up to DRAWER_TRAVEL. The handle is a bar held 5.5 cm in front of the drawer face.
 * Success: the drawer pulled to its end stop (within OPEN_END_TOLERANCE), as upstream, whose target lies past the
 * joint range. The hand starts at (0, 0.6, 0.2) as upstream. The scripted expert closes the gripper, moves above
 * the gap between handle and drawer face, descends into it and pulls back, then holds the drawer at its stop.
 */
import { registerBuiltInTask } from '../../registry.js';
import { tolerance } from '../../rewards.js';
import { el, resolveObjectScale, type Vec3 } from '../../scene.js';
import type { Physics } from '../../mujoco.js';
import { jointQposAddress, objectId, perPhysics } from '../../named.js';
import type { Rng } from '../../../util/rng.js';
import type { SceneOptions, TaskDefinition } from '../../task.js';
import { armHandles } from './arm.js';
import { ArmTask, CORTEXBENCH_AND_FACTORWORLD, metaworldTask, type ArmLayout } from './arm_task.js';
import { HookAndPullExpert } from './hook_and_pull.js';
import { distance, sitePos } from '../../positions.js';
import { fixtureReward } from './shaping.js';
import { tabletopScene } from './tabletop.js';

/** How far the drawer can be pulled out, metres. */
export const DRAWER_TRAVEL = 0.2;
/**
 * Success: opening short of the end stop, metres. The scripted expert holds the drawer 0.1 mm past the stop (a soft
 * constraint); a drawer left anywhere short of the stop stays there (friction, no spring). 2 mm accepts any pull
 * into the stop and nothing that stops short of it.
 */
export const OPEN_END_TOLERANCE = 0.002;
const CABINET_Y = 0.9;
/** Cabinet half extents (x, y, z) and wall thickness. */
const CABINET_HALF: Vec3 = [0.12, 0.1, 0.07];
const WALL = 0.01;
const HANDLE_STANDOFF = 0.055;
const HANDLE_RADIUS = 0.01;
const HANDLE_HALF_LENGTH = 0.05;
const HAND_START: Vec3 = [0, 0.6, 0.2];

/**
 * Cabinet, drawer and handle. `scale` widens (x) and heightens (z) cabinet and drawer; the depth (y) stays so the
 * 20 cm travel keeps its meaning, and the handle keeps its size (it is what the hand hooks) but moves with the
 * drawer's mid-height.
 */
function drawerElements(scale: number) {
  const [hx, hy, hz] = [CABINET_HALF[0] * scale, CABINET_HALF[1], CABINET_HALF[2] * scale];
  const w = WALL / 2;
  const box = (name: string, material: string, pos: Vec3, size: Vec3, mass?: number) =>
    el('geom', { name, type: 'box', pos, size, material, mass });
  const cabinet = [
    box('cabinet_top', 'fixture', [0, 0, 2 * hz - w], [hx, hy, w]),
    box('cabinet_bottom', 'fixture', [0, 0, w], [hx, hy, w]),
    box('cabinet_left', 'fixture', [-hx + w, 0, hz], [w, hy, hz]),
    box('cabinet_right', 'fixture', [hx - w, 0, hz], [w, hy, hz]),
    box('cabinet_back', 'fixture', [0, hy - w, hz], [hx, w, hz]),
  ];
  // The drawer fills the cabinet's inside: a front panel flush with the cabinet front and an open tray behind it.
  const innerX = hx - WALL - 0.002;
  const trayHalfZ = (hz - WALL) / 2;
  const trayZ = WALL + 0.004 + trayHalfZ;
  const frontY = -hy + 0.006;
  const handleY = -hy - HANDLE_STANDOFF;
  const handleZ = hz;
  const drawer = el('body', { name: 'drawer', pos: [0, 0, 0] }, [
    el('joint', { name: 'drawer', type: 'slide', axis: [0, -1, 0], range: [0, DRAWER_TRAVEL], damping: 3, frictionloss: 0.2, armature: 0.5 }),
    box('drawer_front', 'object', [0, frontY, hz], [innerX, 0.006, hz - WALL - 0.002], 0.15),
    box('drawer_bottom', 'object', [0, 0, WALL + 0.004], [innerX, hy - 0.012, 0.004], 0.05),
    box('drawer_left', 'object', [-innerX + 0.004, 0, trayZ], [0.004, hy - 0.012, trayHalfZ], 0.03),
    box('drawer_right', 'object', [innerX - 0.004, 0, trayZ], [0.004, hy - 0.012, trayHalfZ], 0.03),
    box('drawer_back', 'object', [0, hy - 0.016, trayZ], [innerX, 0.004, trayHalfZ], 0.03),
    el('geom', {
      name: 'handle',
      type: 'capsule',
      fromto: [-HANDLE_HALF_LENGTH, handleY, handleZ, HANDLE_HALF_LENGTH, handleY, handleZ],
      size: [HANDLE_RADIUS],
      material: 'fixture',
      mass: 0.02,
    }),
    ...[-1, 1].map((side) =>
      box(`handle_post_${side < 0 ? 'left' : 'right'}`, 'fixture', [side * (HANDLE_HALF_LENGTH - 0.006), (handleY + frontY - 0.006) / 2, handleZ], [0.006, (frontY - 0.006 - handleY) / 2, 0.006], 0.01),
    ),
    // Middle of the gap between handle and drawer face: where the fingers go to pull.
    el('site', { name: 'handle_grip', pos: [0, (handleY + HANDLE_RADIUS + frontY - 0.006) / 2, handleZ], size: [0.005], rgba: [0, 0, 1, 0], group: 4 }),
  ]);
  return el('body', { name: 'drawer_cabinet', pos: [0, CABINET_Y, 0] }, [...cabinet, drawer]);
}

export function buildDrawerOpenScene(options: SceneOptions = {}): string {
  const scene = tabletopScene('drawer-open');
  scene.world(drawerElements(resolveObjectScale(options)));
  // The slide joint keeps the drawer in its cabinet; wall contacts would only add friction and jitter.
  scene.contact(el('exclude', { body1: 'drawer_cabinet', body2: 'drawer' }));
  return scene.build(options);
}

class DrawerHandles {
  readonly drawerQpos: number;
  readonly grip: number;
  constructor(readonly physics: Physics) {
    this.drawerQpos = jointQposAddress(physics, 'drawer');
    this.grip = objectId(physics, 'site', 'handle_grip');
  }
  opening(): number {
    return this.physics.views.qpos[this.drawerQpos]!;
  }
  gripPos(): Vec3 {
    return sitePos(this.physics, this.grip);
  }
}

/** Looked up once per physics. */
const drawerHandles = perPhysics((physics) => new DrawerHandles(physics));

class DrawerOpenTask extends ArmTask {
  sampleLayout(rng: Rng, _physics: Physics): ArmLayout {
    return { hand: HAND_START, fixtures: { drawer_cabinet: [rng.uniform(-0.1, 0.1), CABINET_Y, 0] }, objects: {} };
  }

  /**
   * fixtureReward: reach to the gap behind the handle, and
   *   progress = tolerance(DRAWER_TRAVEL - opening, bounds [-inf, OPEN_END_TOLERANCE], margin DRAWER_TRAVEL, long_tail).
   */
  reward(physics: Physics): number {
    const drawer = drawerHandles(physics);
    const open = tolerance(DRAWER_TRAVEL - drawer.opening(), { bounds: [-Infinity, OPEN_END_TOLERANCE], margin: DRAWER_TRAVEL, sigmoid: 'long_tail' });
    return fixtureReward(distance(armHandles(physics).tcpPos(), drawer.gripPos()), open);
  }

  success(physics: Physics): boolean {
    return DRAWER_TRAVEL - drawerHandles(physics).opening() <= OPEN_END_TOLERANCE;
  }
}

/** Hooks behind the handle and pulls to 1.5 cm past full travel, so the hand keeps the drawer in its end stop. */
function drawerOpenExpert(): HookAndPullExpert {
  return new HookAndPullExpert({
    gripPoint: (physics) => drawerHandles(physics).gripPos(),
    pullTarget: (physics) => {
      const drawer = drawerHandles(physics);
      const grip = drawer.gripPos();
      return [grip[0], grip[1] + drawer.opening() - DRAWER_TRAVEL - 0.015, grip[2]];
    },
    pullSpeed: 1,
  });
}

export const drawerOpen: TaskDefinition = metaworldTask({
  name: 'drawer-open',
  // v2: top_cap2 at the upstream pose, hand start (0, 0.6, 0.2), workspace y from 0.40, success at the end stop,
  // fingers closing along y.
  // v3: the renderer's native look.
  version: 3,
  benchmarks: CORTEXBENCH_AND_FACTORWORLD,
  buildScene: buildDrawerOpenScene,
  createTask: () => new DrawerOpenTask(),
  createExpert: drawerOpenExpert,
});

registerBuiltInTask(drawerOpen);
