/**
 * The scene every Adroit-style task shares: a table (top at z = 0) on a floor, the forearm with our hand, a light,
 * and the cameras. The forearm sits at (0, -0.7, 0.2) and points along +y, so the hand works above the table
 * centre. Timing as Adroit: timestep 0.002, 5 physics steps per policy step, 20 solver and 20 no-slip iterations.
 *
 * Named materials (Factor-World factors address these): floor, table, hand, object, target.
 */
import { SceneBuilder, el, type Vec3, type XmlElement } from '../../scene.js';
import { handActuators, handBody, handDefaults } from './hand.js';

export const ADROIT_TIMESTEP = 0.002;
export const ADROIT_SUBSTEPS = 5;
export const DEFAULT_CAMERA = 'vil_camera';
/** Where the forearm is mounted (world), as in Adroit. */
export const FOREARM_POS: Vec3 = [0, -0.7, 0.2];

const TABLE_HALF: Vec3 = [0.45, 0.45, 0.025];
const TABLE_HEIGHT = 1;

export const CANONICAL_TEXTURES = {
  floor: 'checker-slate',
  table: 'flat-white',
  hand: 'flat-grey',
  object: 'flat-blue-mid',
  target: 'flat-green-light',
} as const;

/**
 * A scene builder with table, lights, cameras and the hand on a forearm at FOREARM_POS with orientation
 * `forearmQuat` (w, x, y, z); `mount` goes inside the forearm body (the relocate arm's joints and actuators).
 */
export function adroitScene(
  modelName: string,
  forearmQuat: [number, number, number, number],
  mount: { joints: XmlElement[]; actuators: XmlElement[] } = { joints: [], actuators: [] },
  { forearmGravcomp = false }: { forearmGravcomp?: boolean } = {},
): SceneBuilder {
  const scene = new SceneBuilder(modelName, {
    timestep: ADROIT_TIMESTEP,
    compiler: { angle: 'radian', autolimits: true },
    option: { iterations: 20, noslip_iterations: 20, cone: 'pyramidal' },
  });
  scene.defaults(handDefaults());
  scene
    .material('floor', { texture: CANONICAL_TEXTURES.floor, texrepeat: [4, 4], texuniform: true })
    .material('table', { texture: CANONICAL_TEXTURES.table, specular: 0.2 })
    .material('hand', { texture: CANONICAL_TEXTURES.hand, specular: 0.4 })
    .material('object', { texture: CANONICAL_TEXTURES.object, specular: 0.3 })
    .material('target', { texture: CANONICAL_TEXTURES.target, rgba: [1, 1, 1, 0.5] });
  // vil_camera (Adroit's camera for visual imitation): at (0, -1.2, 1.2), looking along +y 45 degrees down at the
  // table centre, fovy 45.
  scene.camera({ name: DEFAULT_CAMERA, lookAt: [0, 0, 0], azimuth: -90, elevation: 45, distance: 1.2 * Math.SQRT2, fovy: 45 }, { main: true });
  scene.camera({ name: 'fixed', lookAt: [0, 0, 0], azimuth: -90, elevation: 45, distance: 0.7 * Math.SQRT2, fovy: 45 });
  scene.camera({ name: 'side', lookAt: [0, -0.2, 0.27], azimuth: 180, elevation: 25, distance: 0.45, fovy: 45 });
  scene.camera({ name: 'front', lookAt: [0, -0.2, 0.27], azimuth: 60, elevation: 30, distance: 0.45, fovy: 45 });
  const legs = [-1, 1].flatMap((sx) =>
    [-1, 1].map((sy) =>
      el('geom', {
        name: `table_leg_${sx > 0 ? 'r' : 'l'}${sy > 0 ? 'f' : 'n'}`,
        type: 'cylinder',
        pos: [sx * 0.4, sy * 0.4, -TABLE_HEIGHT / 2],
        size: [0.04, TABLE_HEIGHT / 2 - TABLE_HALF[2]],
        material: 'table',
        contype: 0,
        conaffinity: 0,
      }),
    ),
  );
  scene.world(
    el('light', { name: 'top_light', directional: false, pos: [-1, -1, 4], dir: [1, 1, -4], diffuse: [0.4, 0.4, 0.4], specular: [0.03, 0.03, 0.03], castshadow: false }),
    el('geom', { name: 'floor', type: 'plane', pos: [0, 0, -TABLE_HEIGHT], size: [3, 3, 0.1], material: 'floor' }),
    el('body', { name: 'table', pos: [0, 0, 0] }, [
      el('geom', { name: 'table_top', type: 'box', pos: [0, 0, -TABLE_HALF[2]], size: TABLE_HALF, material: 'table' }),
      ...legs,
    ]),
    handBody(FOREARM_POS, forearmQuat, mount.joints, forearmGravcomp),
  );
  scene.actuator(...mount.actuators, ...handActuators());
  return scene;
}
