/**
 * The scene every MetaWorld-style task shares: floor, table (top surface at z = 0, spanning y 0.2..1.0), the arm,
 * a fixed light, and the cameras. The robot stands at y ~ 0 and looks towards +y, so objects sit at y 0.6-0.9.
 *
 * Named materials (Factor-World factors address these): floor, table, object (the part the task moves),
 * fixture (the part it is mounted in), arm.
 */
import { SceneBuilder, el, type CameraPose, type Vec3 } from '../../scene.js';
import { armElements, DEFAULT_WORKSPACE, type Workspace } from './arm.js';

export const METAWORLD_TIMESTEP = 0.0025;
export const METAWORLD_SUBSTEPS = 5;
export const METAWORLD_HORIZON = 500;
export const DEFAULT_CAMERA = 'top_cap2';

/** Centre of the table top, the point the cameras look at. */
export const TABLE_CENTRE: Vec3 = [0, 0.6, 0];
export const TABLE_HALF: Vec3 = [0.7, 0.4, 0.025];
/** The body carrying the table top and legs (at the origin; the table-position factor moves it). */
export const TABLE_BODY = 'table';
const TABLE_HEIGHT = 0.8;

/**
 * CortexBench's MetaWorld camera `top_cap2`, as the fact it is (research-tasks.md): at (0, 0.9, 0.6) above the far
 * table edge, aimed at the table centre, fovy 45 (0.671 m away, 63.4 degrees down).
 */
export const TOP_CAP2 = { pos: [0, 0.9, 0.6] as Vec3, lookAt: TABLE_CENTRE, fovy: 45 };

/** The orbit pose (the scene builder's camera convention) that puts a camera at `pos`, looking at `lookAt`. */
export function poseLookingAt(pos: Vec3, lookAt: Vec3): CameraPose {
  const [dx, dy, dz] = [pos[0] - lookAt[0], pos[1] - lookAt[1], pos[2] - lookAt[2]];
  const distance = Math.hypot(dx, dy, dz);
  return { azimuth: (Math.atan2(dy, dx) * 180) / Math.PI, elevation: (Math.asin(dz / distance) * 180) / Math.PI, distance };
}

/** The canonical textures of the named materials (all from the standard texture set). */
export const CANONICAL_TEXTURES = {
  floor: 'checker-slate',
  table: 'checker-orange-dark',
  object: 'flat-red-mid',
  fixture: 'flat-grey',
  arm: 'flat-white',
} as const;

/** The shared scene; `workspace` is the task's hand box (the arm's slide limits sit just outside it). */
export function tabletopScene(modelName: string, workspace: Workspace = DEFAULT_WORKSPACE): SceneBuilder {
  const scene = new SceneBuilder(modelName, { timestep: METAWORLD_TIMESTEP, option: { integrator: 'implicitfast', cone: 'elliptic' } });
  // The hand's pull towards its target (a default-soft connect) reaches hundreds of newtons a few cm off target.
  // Contacts and joint end stops are made much stiffer (solimp 0.999 vs 0.95, solref 0.01 vs 0.02 s) so that a
  // hand pushing on a fixture stops within ~1 mm of its surface, and a pushed button or pulled drawer at its stop;
  // elliptic friction cones keep those contacts from sinking in as pyramidal ones do under large normal forces.
  scene.defaults(
    el('geom', { solref: [0.01, 1], solimp: [0.99, 0.999, 0.001] }),
    el('joint', { solreflimit: [0.01, 1], solimplimit: [0.99, 0.999, 0.001] }),
  );
  scene
    .material('floor', { texture: CANONICAL_TEXTURES.floor, texrepeat: [4, 4], texuniform: true })
    .material('table', { texture: CANONICAL_TEXTURES.table, texrepeat: [6, 6], texuniform: true })
    .material('object', { texture: CANONICAL_TEXTURES.object, specular: 0.3 })
    .material('fixture', { texture: CANONICAL_TEXTURES.fixture, specular: 0.2 })
    .material('arm', { texture: CANONICAL_TEXTURES.arm, specular: 0.4 });
  scene.camera({ name: DEFAULT_CAMERA, lookAt: TOP_CAP2.lookAt, ...poseLookingAt(TOP_CAP2.pos, TOP_CAP2.lookAt), fovy: TOP_CAP2.fovy }, { main: true });
  scene.camera({ name: 'corner', lookAt: TABLE_CENTRE, azimuth: 135, elevation: 35, distance: 1.5, fovy: 45 });
  scene.camera({ name: 'front', lookAt: TABLE_CENTRE, azimuth: -90, elevation: 30, distance: 1.4, fovy: 45 });

  const legs = [-1, 1].flatMap((sx) =>
    [-1, 1].map((sy) =>
      el('geom', {
        name: `table_leg_${sx > 0 ? 'r' : 'l'}${sy > 0 ? 'f' : 'n'}`,
        type: 'cylinder',
        pos: [sx * (TABLE_HALF[0] - 0.05), TABLE_CENTRE[1] + sy * (TABLE_HALF[1] - 0.05), -TABLE_HEIGHT / 2],
        size: [0.03, TABLE_HEIGHT / 2 - TABLE_HALF[2]],
        material: 'fixture',
      }),
    ),
  );
  const arm = armElements(workspace);
  scene.world(
    el('light', { name: 'top_light', directional: true, pos: [0, 0.6, 2], dir: [0, 0, -1], diffuse: [0.3, 0.3, 0.3], specular: [0.1, 0.1, 0.1], castshadow: false }),
    el('geom', { name: 'floor', type: 'plane', pos: [0, 0.6, -TABLE_HEIGHT], size: [3, 3, 0.1], material: 'floor' }),
    el('body', { name: TABLE_BODY, pos: [0, 0, 0] }, [
      el('geom', { name: 'table_top', type: 'box', pos: [TABLE_CENTRE[0], TABLE_CENTRE[1], -TABLE_HALF[2]], size: TABLE_HALF, material: 'table', friction: [1, 0.005, 0.0001] }),
      ...legs,
    ]),
    // The robot's pedestal behind the near table edge (visual only).
    el('geom', { name: 'pedestal', type: 'cylinder', pos: [0, 0.02, -TABLE_HEIGHT / 2 + 0.05], size: [0.1, TABLE_HEIGHT / 2 + 0.05], material: 'arm', contype: 0, conaffinity: 0 }),
    ...arm.world,
  );
  scene.equality(...arm.equality);
  scene.actuator(...arm.actuators);
  return scene;
}
