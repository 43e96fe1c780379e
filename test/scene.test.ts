import { afterAll, describe, expect, it } from 'vitest';
import { compilePhysics, type Physics } from '../src/envs/mujoco.js';
import {
  SceneBuilder,
  cameraFrame,
  el,
  materialTexture,
  poseCamera,
  resolveObjectScale,
  setHeadlight,
  setMaterialTexture,
  standardTextureSet,
} from '../src/envs/scene.js';
import type { SceneOptions } from '../src/envs/task.js';

const LOOK_AT: [number, number, number] = [0, 0.6, 0];

/** A small scene: a textured table and floor, a box object and two cameras. */
function testScene(): SceneBuilder {
  const scene = new SceneBuilder('scene-test', { timestep: 0.002 });
  scene
    .material('floor', { texture: 'checker-grey', texrepeat: [4, 4], texuniform: true })
    .material('table', { texture: 'checker-orange-dark' })
    .material('object', { texture: 'flat-red-mid' });
  scene.camera({ name: 'main', lookAt: LOOK_AT, azimuth: 90, elevation: 60, distance: 0.9, fovy: 45 }, { main: true });
  scene.camera({ name: 'side', lookAt: LOOK_AT, azimuth: 0, elevation: 20, distance: 1.5, fovy: 60 });
  scene.world(
    el('geom', { name: 'floor', type: 'plane', size: [2, 2, 0.1], pos: [0, 0, -0.8], material: 'floor' }),
    el('geom', { name: 'table', type: 'box', size: [0.7, 0.4, 0.025], pos: [0, 0.6, -0.025], material: 'table' }),
    el('body', { name: 'object', pos: [0, 0.7, 0.05] }, [el('freejoint'), el('geom', { name: 'object', type: 'box', size: [0.02, 0.02, 0.02], material: 'object' })]),
  );
  return scene;
}

const compiled: Physics[] = [];
async function compile(options: SceneOptions = {}): Promise<Physics> {
  const physics = await compilePhysics('scene-test', testScene().build(options));
  compiled.push(physics);
  return physics;
}
afterAll(() => compiled.forEach((p) => p.dispose()));

function cameraId(physics: Physics, name: string): number {
  return physics.mj.mj_name2id(physics.model, physics.mj.mjtObj.mjOBJ_CAMERA.value, name);
}

describe('standard texture set', () => {
  it('has 120 uniquely named flat, checker and gradient textures that all compile', async () => {
    const set = standardTextureSet();
    expect(set).toHaveLength(120);
    expect(new Set(set.map((t) => t.name)).size).toBe(120);
    for (const kind of ['flat', 'checker', 'gradient']) expect(set.filter((t) => t.kind === kind)).toHaveLength(40);
    for (const t of set) for (const c of [...t.rgb1, ...t.rgb2]) expect(c >= 0 && c <= 1).toBe(true);
    const physics = await compile();
    expect(physics.model.ntex).toBe(120);
    const names = testScene().textureSet;
    const texId = physics.mj.mj_name2id(physics.model, physics.mj.mjtObj.mjOBJ_TEXTURE.value, 'gradient-blue-dark');
    expect(texId).toBe(names.indexOf('gradient-blue-dark'));
  });
});

describe('SceneBuilder options', () => {
  it('defaults give each material its declared texture', async () => {
    const physics = await compile();
    expect(materialTexture(physics, 'table')).toBe('checker-orange-dark');
    expect(materialTexture(physics, 'floor')).toBe('checker-grey');
    expect(materialTexture(physics, 'object')).toBe('flat-red-mid');
  });

  it('textures option swaps the named material texture only', async () => {
    const physics = await compile({ textures: { table: 'gradient-teal-light' } });
    expect(materialTexture(physics, 'table')).toBe('gradient-teal-light');
    expect(materialTexture(physics, 'floor')).toBe('checker-grey');
  });

  it('setMaterialTexture swaps a texture in a compiled model without a rebuild', async () => {
    const physics = await compile();
    setMaterialTexture(physics, 'object', 'checker-purple-mid');
    expect(materialTexture(physics, 'object')).toBe('checker-purple-mid');
    expect(() => setMaterialTexture(physics, 'object', 'no-such-texture')).toThrow(/unknown texture 'no-such-texture'/);
    expect(() => setMaterialTexture(physics, 'chair', 'flat-grey')).toThrow(/unknown material 'chair'/);
  });

  it('camera option re-poses the main camera around its look-at point and leaves the others', async () => {
    const pose = { azimuth: 120, elevation: 30, distance: 1.5 };
    const physics = await compile({ camera: pose });
    const { mj, model, data } = physics;
    mj.mj_forward(model, data);
    const main = cameraId(physics, 'main');
    const pos = Array.from(data.cam_xpos.slice(3 * main, 3 * main + 3) as Float64Array);
    const az = (120 * Math.PI) / 180;
    const elev = (30 * Math.PI) / 180;
    const expected = [1.5 * Math.cos(elev) * Math.cos(az), 0.6 + 1.5 * Math.cos(elev) * Math.sin(az), 1.5 * Math.sin(elev)];
    pos.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    // The optical axis (-z of the camera frame, third column of cam_xmat) points at the look-at point.
    const m = data.cam_xmat.slice(9 * main, 9 * main + 9) as Float64Array;
    const axis = [-m[2]!, -m[5]!, -m[8]!];
    const toTarget = LOOK_AT.map((v, i) => (v - pos[i]!) / 1.5);
    axis.forEach((v, i) => expect(v).toBeCloseTo(toTarget[i]!, 5));
    expect(model.cam_fovy[main]).toBeCloseTo(45, 6);
    const side = cameraId(physics, 'side');
    const sidePos = cameraFrame(LOOK_AT, { azimuth: 0, elevation: 20, distance: 1.5 }).pos;
    Array.from(model.cam_pos.slice(3 * side, 3 * side + 3) as Float64Array).forEach((v, i) => expect(v).toBeCloseTo(sidePos[i]!, 5));
  });

  it('poseCamera at run time matches the pose compiled from the camera option', async () => {
    const pose = { azimuth: 100, elevation: 70, distance: 1.3 };
    const rebuilt = await compile({ camera: pose });
    const runtime = await compile();
    poseCamera(runtime, 'main', LOOK_AT, pose);
    const id = cameraId(rebuilt, 'main');
    for (let i = 0; i < 3; i++) expect(runtime.model.cam_pos[3 * id + i]).toBeCloseTo(rebuilt.model.cam_pos[3 * id + i], 5);
    // Quaternions q and -q are the same rotation: compare the world frames instead.
    for (const p of [rebuilt, runtime]) p.mj.mj_forward(p.model, p.data);
    for (let i = 0; i < 9; i++) expect(runtime.data.cam_xmat[9 * id + i]).toBeCloseTo(rebuilt.data.cam_xmat[9 * id + i], 5);
    for (let i = 0; i < 3; i++) expect(runtime.data.cam_xpos[3 * id + i]).toBeCloseTo(rebuilt.data.cam_xpos[3 * id + i], 5);
  });

  it('looking straight down keeps a valid camera frame', async () => {
    const physics = await compile({ camera: { azimuth: 90, elevation: 90, distance: 1 } });
    const q = Array.from(physics.model.cam_quat.slice(0, 4) as Float64Array);
    expect(Math.hypot(...q)).toBeCloseTo(1, 6);
    expect(q.every(Number.isFinite)).toBe(true);
  });

  it('light option sets headlight ambient = diffuse, and setHeadlight changes it at run time', async () => {
    const physics = await compile({ light: 0.3 });
    const headlight = physics.model.vis.headlight;
    for (let i = 0; i < 3; i++) {
      expect(headlight.ambient[i]).toBeCloseTo(0.3, 6);
      expect(headlight.diffuse[i]).toBeCloseTo(0.3, 6);
    }
    setHeadlight(physics, 0.75);
    expect(headlight.ambient[0]).toBeCloseTo(0.75, 6);
    expect(headlight.diffuse[2]).toBeCloseTo(0.75, 6);
    expect(() => setHeadlight(physics, 1.5)).toThrow(/headlight value must be in \[0, 1\]/);
  });

  it('distractors add static, collision-free bodies with the asked shape, size, place and colour', async () => {
    const physics = await compile({
      distractors: [
        { shape: 'box', pos: [0.2, 0.7, 0.03], size: 0.03, rgba: [0, 0, 1, 1] },
        { shape: 'sphere', pos: [-0.2, 0.5, 0.05], size: 0.05, rgba: [1, 1, 0, 1] },
        { shape: 'cylinder', pos: [0, 0.9, 0.04], size: 0.04, rgba: [0, 1, 0, 1] },
      ],
    });
    const { mj, model } = physics;
    const types = [mj.mjtGeom.mjGEOM_BOX.value, mj.mjtGeom.mjGEOM_SPHERE.value, mj.mjtGeom.mjGEOM_CYLINDER.value];
    const sizes = [0.03, 0.05, 0.04];
    for (let i = 0; i < 3; i++) {
      const g = mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, `distractor${i}`);
      expect(g).toBeGreaterThanOrEqual(0);
      expect(model.geom_type[g]).toBe(types[i]);
      expect(model.geom_size[3 * g]).toBeCloseTo(sizes[i]!, 6);
      expect(model.geom_contype[g]).toBe(0);
      expect(model.geom_conaffinity[g]).toBe(0);
      const body = model.geom_bodyid[g];
      expect(model.body_jntnum[body]).toBe(0);
    }
    const b = mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY.value, 'distractor1');
    expect(Array.from(model.body_pos.slice(3 * b, 3 * b + 3) as Float64Array)).toEqual([-0.2, 0.5, 0.05]);
    const g2 = mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, 'distractor2');
    expect(Array.from(model.geom_rgba.slice(4 * g2, 4 * g2 + 4) as Float32Array)).toEqual([0, 1, 0, 1]);
    const plain = await compile();
    expect(model.nbody).toBe(plain.model.nbody + 3);
  });

  it('build is a pure function of the options', () => {
    const scene = testScene();
    const a = scene.build({ light: 0.5 });
    scene.build({ camera: { azimuth: 10, elevation: 10, distance: 2 }, textures: { table: 'flat-grey' } });
    expect(scene.build({ light: 0.5 })).toBe(a);
  });

  it('resolveObjectScale defaults to 1 and checks its range', () => {
    expect(resolveObjectScale(undefined)).toBe(1);
    expect(resolveObjectScale({ objectScale: 1.6 })).toBe(1.6);
    expect(() => resolveObjectScale({ objectScale: 0 })).toThrow(/objectScale must be a number in \[0.25, 4\], got 0/);
    expect(() => resolveObjectScale({ objectScale: Number.NaN })).toThrow(/objectScale/);
  });
});

describe('SceneBuilder errors name the bad input', () => {
  const scene = testScene();
  const cases: [string, SceneOptions, RegExp][] = [
    ['unknown material', { textures: { chair: 'flat-grey' } }, /unknown material 'chair'; materials: floor, table, object/],
    ['unknown texture', { textures: { table: 'marble' } }, /textures.table: unknown texture 'marble'/],
    ['light out of range', { light: 1.2 }, /light must be a number in \[0, 1\], got 1.2/],
    ['camera elevation', { camera: { azimuth: 0, elevation: 95, distance: 1 } }, /elevation must be in \[-90, 90\] degrees, got 95/],
    ['camera distance', { camera: { azimuth: 0, elevation: 45, distance: 0 } }, /distance must be in \(0, 20\] metres, got 0/],
    ['camera azimuth', { camera: { azimuth: Number.NaN, elevation: 45, distance: 1 } }, /azimuth must be a finite number/],
    ['object scale', { objectScale: 9 }, /objectScale must be a number in \[0.25, 4\], got 9/],
    ['distractor shape', { distractors: [{ shape: 'cone' as 'box', pos: [0, 0, 0], size: 0.1, rgba: [1, 1, 1, 1] }] }, /distractors\[0\].shape must be one of box, sphere, cylinder, got 'cone'/],
    ['distractor size', { distractors: [{ shape: 'box', pos: [0, 0, 0], size: -1, rgba: [1, 1, 1, 1] }] }, /distractors\[0\].size must be in \(0, 0.5\] metres, got -1/],
    ['distractor pos', { distractors: [{ shape: 'box', pos: [0, 0] as unknown as [number, number, number], size: 0.1, rgba: [1, 1, 1, 1] }] }, /distractors\[0\].pos must be 3 finite numbers/],
    ['distractor colour', { distractors: [{ shape: 'sphere', pos: [0, 0, 0], size: 0.1, rgba: [2, 0, 0, 1] }] }, /distractors\[0\].rgba must be 4 numbers in \[0, 1\]/],
    ['unknown option', { lighting: 0.5 } as unknown as SceneOptions, /unknown scene option 'lighting'; expected one of camera, light, textures, objectScale, distractors/],
  ];
  for (const [label, options, message] of cases) {
    it(label, () => expect(() => scene.build(options)).toThrow(message));
  }

  it('declaring a material with an unknown texture, or twice, fails', () => {
    const s = new SceneBuilder('bad', { timestep: 0.002 });
    expect(() => s.material('table', { texture: 'wood' })).toThrow(/material 'table': unknown texture 'wood'/);
    s.material('table', { texture: 'flat-grey' });
    expect(() => s.material('table', { texture: 'flat-grey' })).toThrow(/material 'table' is defined twice/);
  });

  it('re-posing a camera needs a main camera', () => {
    const s = new SceneBuilder('no-camera', { timestep: 0.002 });
    expect(() => s.build({ camera: { azimuth: 0, elevation: 45, distance: 1 } })).toThrow(/has no main camera/);
  });

  it('a bad timestep fails at construction', () => {
    expect(() => new SceneBuilder('bad', { timestep: 0 })).toThrow(/timestep must be a positive number of seconds, got 0/);
  });
});
