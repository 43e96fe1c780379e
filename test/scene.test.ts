import { afterAll, describe, expect, it } from 'vitest';
import { compilePhysics, type Physics } from '../src/envs/mujoco.js';
import '../src/envs/domains/index.js';
import { Env } from '../src/envs/env.js';
import { getTask, listTasks } from '../src/envs/registry.js';
import { objectId } from '../src/envs/named.js';
import {
  SceneBuilder,
  cameraFrame,
  defaultClass,
  distractorIdentity,
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
  it('has 130 uniquely named flat, checker and gradient textures (with the dm_control look) that all compile', async () => {
    const set = standardTextureSet();
    expect(set).toHaveLength(130);
    expect(new Set(set.map((t) => t.name)).size).toBe(130);
    expect(set.filter((t) => t.kind === 'flat')).toHaveLength(45);
    expect(set.filter((t) => t.kind === 'checker')).toHaveLength(45);
    expect(set.filter((t) => t.kind === 'gradient')).toHaveLength(40);
    for (const name of ['grid-navy', 'noise-dirt', 'flat-tan']) expect(set.map((t) => t.name)).toContain(name);
    for (const t of set) for (const c of [...t.rgb1, ...t.rgb2]) expect(c >= 0 && c <= 1).toBe(true);
    const physics = await compile();
    expect(physics.model.ntex).toBe(130);
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
    expect(() => setMaterialTexture(physics, 'object', 'no-such-texture')).toThrow(/no texture named 'no-such-texture'; textures: flat-red-light/);
    expect(() => setMaterialTexture(physics, 'chair', 'flat-grey')).toThrow(/no material named 'chair'; materials: floor, table, object/);
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

  it('distractors add static, collision-free bodies of their identity, scaled, placed and turned', async () => {
    const physics = await compile({
      distractors: [
        { identity: 'train-000', pos: [0.2, 0.7, 0], yaw: 0, scale: 0.5 },
        { identity: 'test-005', pos: [-0.2, 0.5, 0], yaw: 90, scale: 1 },
        { identity: 'train-042', body: 'object', pos: [0, 0, 0.02], yaw: 30, scale: 0.8 },
      ],
    });
    const { mj, model } = physics;
    for (const [i, identity, scale] of [[0, 'train-000', 0.5], [1, 'test-005', 1], [2, 'train-042', 0.8]] as const) {
      const parts = distractorIdentity(identity).parts;
      parts.forEach((part, j) => {
        const g = mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, `distractor${i}_${j}`);
        expect(g).toBeGreaterThanOrEqual(0);
        expect(model.geom_contype[g]).toBe(0);
        expect(model.geom_conaffinity[g]).toBe(0);
        if (part.type !== 'mesh') expect(model.geom_size[3 * g]).toBeCloseTo(part.size[0]! * scale, 6);
      });
    }
    const b = mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY.value, 'distractor1');
    expect(Array.from(model.body_pos.slice(3 * b, 3 * b + 3) as Float64Array)).toEqual([-0.2, 0.5, 0]);
    expect(model.body_quat[4 * b]).toBeCloseTo(Math.SQRT1_2, 6);
    // Attached to the body it stands on (so a moved table carries its distractors).
    const b2 = mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY.value, 'distractor2');
    expect(model.body_parentid[b2]).toBe(mj.mj_name2id(model, mj.mjtObj.mjOBJ_BODY.value, 'object'));
    expect(model.body_jntnum[b2]).toBe(0);
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
    ['distractor identity', { distractors: [{ identity: 'chair-1', pos: [0, 0, 0], yaw: 0, scale: 0.5 }] }, /unknown distractor identity 'chair-1'; identities are train-000..train-099 and test-000..test-069/],
    ['distractor scale', { distractors: [{ identity: 'train-001', pos: [0, 0, 0], yaw: 0, scale: 5 }] }, /distractors\[0\].scale must be in \[0.1, 2\], got 5/],
    ['distractor pos', { distractors: [{ identity: 'train-001', pos: [0, 0] as unknown as [number, number, number], yaw: 0, scale: 0.5 }] }, /distractors\[0\].pos must be 3 finite numbers/],
    ['distractor body', { distractors: [{ identity: 'train-001', body: 'shelf', pos: [0, 0, 0], yaw: 0, scale: 0.5 }] }, /distractors\[0\].body: scene 'scene-test' has no body 'shelf'/],
    ['unknown option', { lighting: 0.5 } as unknown as SceneOptions, /unknown scene option 'lighting'; expected one of camera, light, textures, objectScale, texturePools, distractors/],
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

/** World position and optical axis (-z of the camera frame) of a camera after mj_forward at the model's qpos0. */
function cameraAtRest(physics: Physics, name: string): { pos: number[]; axis: number[]; right: number[] } {
  const { mj, model, data } = physics;
  mj.mj_resetData(model, data);
  mj.mj_forward(model, data);
  const id = cameraId(physics, name);
  const m = Array.from(data.cam_xmat.slice(9 * id, 9 * id + 9) as Float64Array);
  return { pos: Array.from(data.cam_xpos.slice(3 * id, 3 * id + 3) as Float64Array), axis: [-m[2]!, -m[5]!, -m[8]!], right: [m[0]!, m[3]!, m[6]!] };
}

function expectVector(actual: number[], expected: number[], label: string): void {
  actual.forEach((v, i) => expect(v, `${label}[${i}]`).toBeCloseTo(expected[i]!, 5));
}

describe('one camera convention, in every family', () => {
  it('places a world camera at lookAt + distance * (cos el cos az, cos el sin az, sin el), looking at lookAt, right horizontal', () => {
    const frame = cameraFrame([1, 2, 3], { azimuth: 30, elevation: 40, distance: 2 });
    const az = Math.PI / 6, el = (40 * Math.PI) / 180;
    expectVector(frame.pos, [1 + 2 * Math.cos(el) * Math.cos(az), 2 + 2 * Math.cos(el) * Math.sin(az), 3 + 2 * Math.sin(el)], 'pos');
    expectVector(frame.xaxis, [-Math.sin(az), Math.cos(az), 0], 'right');
    expect(frame.yaxis[2]).toBeGreaterThan(0);
  });

  it('DMC reacher-easy: camera 0 (fixed) 0.75 m straight above the shoulder, image right +x and up +y', async () => {
    const env = await Env.make('reacher-easy');
    try {
      const cam = cameraAtRest(env.physics, 'fixed');
      expectVector(cam.pos, [0, 0, 0.75], 'pos');
      expectVector(cam.axis, [0, 0, -1], 'axis');
      expectVector(cam.right, [1, 0, 0], 'right');
    } finally {
      env.close();
    }
  });

  it('DMC cheetah-run: camera 0 (side) 3 m to the torso\'s -y side, level, looking +y, tracking the centre of mass', async () => {
    const env = await Env.make('cheetah-run');
    try {
      const { mj, model } = env.physics;
      const cam = cameraAtRest(env.physics, 'side');
      const torso = Array.from(env.physics.data.xpos.slice(3 * objectId(env.physics, 'body', 'torso'), 3 * objectId(env.physics, 'body', 'torso') + 3) as Float64Array);
      expectVector(cam.pos, [torso[0]!, torso[1]! - 3, torso[2]!], 'pos');
      expectVector(cam.axis, [0, 1, 0], 'axis');
      expectVector(cam.right, [1, 0, 0], 'right');
      expect(model.cam_mode[objectId(env.physics, 'camera', 'side')]).toBe(mj.mjtCamLight.mjCAMLIGHT_TRACKCOM.value);
    } finally {
      env.close();
    }
  });

  it('every registered task\'s default camera keeps image right horizontal (the convention never rolls)', async () => {
    for (const task of listTasks()) {
      const env = await Env.make(task);
      try {
        const cam = cameraAtRest(env.physics, task.defaultCamera);
        expect(Math.abs(cam.right[2]!), task.name).toBeLessThan(1e-9);
        expect(Math.hypot(...cam.right), task.name).toBeCloseTo(1, 9);
      } finally {
        env.close();
      }
    }
  });

  it('MetaWorld: top_cap2 at upstream\'s (0, 0.9, 0.6) on its sphere around the table centre (azimuth 90, elevation 63.4, 0.671 m), aimed at it', async () => {
    const env = await Env.make(getTask('button-press-topdown'));
    try {
      const cam = cameraAtRest(env.physics, 'top_cap2');
      const el = Math.atan2(0.6, 0.3);
      expectVector(cam.pos, [0, 0.9, 0.6], 'pos');
      expectVector(cam.axis, [0, -Math.cos(el), -Math.sin(el)], 'axis');
      expectVector(cam.right, [-1, 0, 0], 'right');
    } finally {
      env.close();
    }
  });
});

describe('SceneBuilder: what DMC- and Adroit-style models need', () => {
  /** A free-floating body with a tracking camera, a targeting camera, a skybox, default classes, a tendon and sensors. */
  function richScene(): SceneBuilder {
    const scene = new SceneBuilder('rich', { timestep: 0.005, compiler: { angle: 'radian', autolimits: true }, option: { iterations: 20 }, flags: { contact: 'disable' } });
    scene.skybox({ kind: 'gradient', rgb1: [0.4, 0.6, 0.8], rgb2: [0, 0, 0], size: 32 });
    scene.setHeadlight({ ambient: 0.3, diffuse: 0.7, specular: 0.2 });
    scene.material('self', { rgba: [0.7, 0.5, 0.3, 1] }).material('floor', { texture: 'grid-navy', texrepeat: [1, 1], texuniform: true, reflectance: 0.2 });
    scene.defaults(el('joint', { damping: 0.5 }), defaultClass('finger', el('geom', { type: 'capsule', size: [0.01], material: 'self' }), el('joint', { type: 'hinge', axis: [0, 1, 0], range: [0, 1.6] })));
    scene.world(
      el('geom', { name: 'floor', type: 'plane', size: [2, 2, 0.1], material: 'floor' }),
      el('body', { name: 'torso', pos: [0, 0, 1] }, [
        el('freejoint', { name: 'root' }),
        el('geom', { name: 'torso', type: 'box', size: [0.1, 0.1, 0.1], material: 'self' }),
        el('body', { name: 'finger', childclass: 'finger', pos: [0.1, 0, 0] }, [el('joint', { name: 'knuckle' }), el('geom', { name: 'phalanx', fromto: [0, 0, 0, 0.05, 0, 0] }), el('site', { name: 'tip', pos: [0.05, 0, 0] })]),
      ]),
    );
    scene.camera({ name: 'track', body: 'torso', mode: 'trackcom', lookAt: [0, 0, 0], azimuth: -90, elevation: 20, distance: 2, fovy: 45 }, { main: true });
    scene.camera({ name: 'aim', mode: 'targetbody', target: 'torso', lookAt: [0, 0, 1], azimuth: 0, elevation: 30, distance: 3, fovy: 60 });
    scene.tendon(el('fixed', { name: 'coupling' }, [el('joint', { joint: 'knuckle', coef: 1 })]));
    scene.actuator(el('position', { name: 'knuckle', joint: 'knuckle', kp: 1 }));
    scene.sensor(el('framepos', { name: 'tip_pos', objtype: 'site', objname: 'tip' }), el('jointpos', { name: 'knuckle_pos', joint: 'knuckle' }));
    return scene;
  }

  it('compiles body cameras, tracking and targeting modes, skybox, classes, tendons, sensors and compiler options', async () => {
    const physics = await compilePhysics('rich', richScene().build());
    compiled.push(physics);
    const { mj, model, data } = physics;
    expect(model.opt.timestep).toBeCloseTo(0.005, 12);
    expect(model.opt.iterations).toBe(20);
    expect(model.opt.disableflags & mj.mjtDisableBit.mjDSBL_CONTACT.value).toBeTruthy();
    expect(model.ntendon).toBe(1);
    expect(model.nsensor).toBe(2);
    expect((model.tex_type as Int32Array)[0]).toBe(mj.mjtTexture.mjTEXTURE_SKYBOX.value);
    const track = objectId(physics, 'camera', 'track');
    const aim = objectId(physics, 'camera', 'aim');
    expect(model.cam_bodyid[track]).toBe(objectId(physics, 'body', 'torso'));
    expect(model.cam_mode[track]).toBe(mj.mjtCamLight.mjCAMLIGHT_TRACKCOM.value);
    expect(model.cam_mode[aim]).toBe(mj.mjtCamLight.mjCAMLIGHT_TARGETBODY.value);
    // The class applies: the knuckle is a hinge about y with range [0, 1.6] and the top-level damping.
    const knuckle = objectId(physics, 'joint', 'knuckle');
    expect(model.jnt_type[knuckle]).toBe(mj.mjtJoint.mjJNT_HINGE.value);
    expect(model.jnt_range[2 * knuckle + 1]).toBeCloseTo(1.6, 9);
    expect(model.dof_damping[model.jnt_dofadr[knuckle]]).toBeCloseTo(0.5, 9);
    // The tracking camera keeps its offset from the falling body; the targeting one keeps aiming at it.
    const rest = cameraAtRest(physics, 'track');
    expectVector(rest.pos, [0, -2 * Math.cos(Math.PI / 9), 1 + 2 * Math.sin(Math.PI / 9)], 'track pos');
    for (let i = 0; i < 100; i++) mj.mj_step(model, data);
    const torsoZ = data.xpos[3 * objectId(physics, 'body', 'torso') + 2];
    expect(torsoZ).toBeLessThan(0.9);
    const moved = Array.from(data.cam_xpos.slice(3 * track, 3 * track + 3) as Float64Array);
    expect(moved[2]! - torsoZ).toBeCloseTo(2 * Math.sin(Math.PI / 9), 2);
    const aimPos = Array.from(data.cam_xpos.slice(3 * aim, 3 * aim + 3) as Float64Array);
    const m = data.cam_xmat.slice(9 * aim, 9 * aim + 9) as Float64Array;
    const toTorso = [0, 1, 2].map((k) => data.xpos[3 * objectId(physics, 'body', 'torso') + k] - aimPos[k]!);
    const n = Math.hypot(...toTorso);
    expectVector([-m[2]!, -m[5]!, -m[8]!], toTorso.map((v) => v / n), 'aim axis');
  });

  it('re-poses a body camera in its body frame and names a missing body or a target without a targeting mode', () => {
    const xml = richScene().build({ camera: { azimuth: 0, elevation: 0, distance: 1 } });
    expect(xml).toMatch(/<body name="torso" pos="0 0 1">\n\s*<camera name="track" mode="trackcom" pos="1 0 0"/);
    const bad = new SceneBuilder('bad', { timestep: 0.01 });
    bad.camera({ name: 'c', body: 'nowhere', lookAt: [0, 0, 0], azimuth: 0, elevation: 0, distance: 1, fovy: 45 });
    expect(() => bad.build()).toThrow(/camera 'c' is attached to body 'nowhere', which the scene does not have/);
    expect(() => bad.camera({ name: 'd', target: 'x', lookAt: [0, 0, 0], azimuth: 0, elevation: 0, distance: 1, fovy: 45 })).toThrow(
      /target body goes with modes targetbody/,
    );
  });
});
