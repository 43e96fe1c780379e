/**
 * Software renderer tests. Depth and segmentation are checked against MuJoCo's own ray caster (mj_ray) cast from
 * the camera centre through pixel centres, on purpose-built scenes (every geom type and camera mode) and on every
 * registered task's default camera.
 */
import { describe, expect, it } from 'vitest';
import '../src/envs/domains/index.js';
import { Env } from '../src/envs/env.js';
import { compilePhysics, type Physics } from '../src/envs/mujoco.js';
import { listTasks } from '../src/envs/registry.js';
import { cameraPose, resolveCameraId, type CameraPose } from '../src/envs/render/camera.js';
import { decodePng, encodeGif, encodePng } from '../src/envs/render/image_io.js';
import { Renderer } from '../src/envs/render/renderer.js';
import {
  tessellateBox,
  tessellateCapsule,
  tessellateCylinder,
  tessellateEllipsoid,
  tessellatePlane,
  tessellateSphere,
  type GeomMesh,
} from '../src/envs/render/tessellate.js';
import { Rng } from '../src/util/rng.js';

/** Every geom type, textures (skybox, 2-D plane, cube box), directional + spot lights, and each camera mode. */
const ALL_GEOMS_MJCF = `
<mujoco model="render-test">
  <compiler autolimits="true"/>
  <visual><headlight ambient=".3 .3 .3" diffuse=".6 .6 .6" specular=".2 .2 .2"/></visual>
  <asset>
    <texture name="sky" type="skybox" builtin="gradient" rgb1=".4 .6 .8" rgb2="0 0 0" width="64" height="64"/>
    <texture name="grid" type="2d" builtin="checker" rgb1=".1 .2 .3" rgb2=".3 .4 .5" width="64" height="64"/>
    <texture name="cube" type="cube" builtin="checker" rgb1=".8 .2 .2" rgb2=".2 .8 .2" width="32" height="32"/>
    <material name="grid" texture="grid" texrepeat="2 2" texuniform="true" reflectance=".3"/>
    <material name="cube" texture="cube"/>
    <material name="blue" rgba=".2 .3 .9 1" specular=".8" shininess=".3"/>
    <mesh name="tetra" vertex="0 0 0  .3 0 0  0 .3 0  0 0 .3"/>
    <mesh name="prism" vertex="-.1 -.1 0  .1 -.1 0  0 .1 0  -.1 -.1 .2  .1 -.1 .2  0 .1 .2"/>
  </asset>
  <worldbody>
    <light name="sun" directional="true" pos="0 0 3" dir="-.3 .2 -1" diffuse=".4 .4 .4"/>
    <light name="spot" pos="0 -1 2" dir="0 .5 -1" cutoff="40" exponent="5" diffuse=".5 .5 .5"/>
    <geom name="floor" type="plane" size="3 3 .1" material="grid"/>
    <camera name="fixed" pos="0 -2.6 1.4" xyaxes="1 0 0 0 .5 1"/>
    <camera name="high" pos="1.8 -1.8 2.2" xyaxes="1 1 0 -.5 .5 1" fovy="60"/>
    <body name="torso" pos="0 0 .6">
      <freejoint/>
      <camera name="track" mode="trackcom" pos="0 -2 .4" xyaxes="1 0 0 0 .2 1"/>
      <geom name="box" type="box" size=".15 .1 .08" material="cube"/>
      <geom name="sphere" type="sphere" size=".12" pos=".45 0 .1" rgba=".9 .6 .1 1"/>
      <geom name="capsule" type="capsule" fromto="-.5 0 0 -.2 .2 .3" size=".06" material="blue"/>
      <geom name="cylinder" type="cylinder" size=".08 .12" pos="0 .35 .05" rgba=".2 .8 .4 1"/>
      <geom name="ellipsoid" type="ellipsoid" size=".2 .08 .05" pos=".1 -.3 .15" euler="0 30 20" rgba=".7 .2 .7 1"/>
      <geom name="tetra" type="mesh" mesh="tetra" pos="-.4 -.3 -.2" rgba=".9 .9 .2 1"/>
      <geom name="prism" type="mesh" mesh="prism" pos=".5 .4 -.3" euler="20 0 40" rgba=".3 .9 .9 1"/>
      <geom name="hidden" type="sphere" size=".3" pos="0 0 .6" group="3"/>
      <geom name="clear" type="sphere" size=".3" pos="0 -.5 .6" rgba="1 1 1 0"/>
    </body>
    <body name="target" pos="1 1 .3">
      <geom name="target" type="sphere" size=".1" rgba="1 0 0 1"/>
    </body>
    <camera name="aim" mode="targetbody" target="torso" pos="-1.5 -1.5 1.5"/>
  </worldbody>
</mujoco>`;

interface RayCheck {
  sampled: number;
  interior: number;
  segmentMatches: number;
  depthMatches: number;
  worstDepthError: number;
}

/**
 * Renders `camera` and compares segmentation and z-depth with mj_ray at a 16x16 grid of pixels plus `randomCount`
 * seeded random ones. Pixels whose 3x3 neighbourhood mixes geom ids (silhouette edges) are excluded.
 */
function checkAgainstRays(physics: Physics, renderer: Renderer, camera: string | number, size: number, randomCount = 64): RayCheck {
  const { mj, model, data } = physics;
  const frame = renderer.render({ width: size, height: size, camera, depth: true, segmentation: true });
  const seg = frame.segmentation!;
  const depth = frame.depth!;
  const pose: CameraPose = { pos: new Float64Array(3), rot: new Float64Array(9), fovyDeg: 0 };
  cameraPose(physics, resolveCameraId(physics, camera), pose);
  const focal = size / 2 / Math.tan((pose.fovyDeg * Math.PI) / 360);
  const R = pose.rot;
  const pixels: [number, number][] = [];
  for (let gy = 0; gy < 16; gy++) for (let gx = 0; gx < 16; gx++) pixels.push([Math.floor(((gx + 0.5) * size) / 16), Math.floor(((gy + 0.5) * size) / 16)]);
  const rng = new Rng(1234);
  for (let k = 0; k < randomCount; k++) pixels.push([rng.int(size), rng.int(size)]);
  const geomId = new mj.IntBuffer(1);
  const result: RayCheck = { sampled: pixels.length, interior: 0, segmentMatches: 0, depthMatches: 0, worstDepthError: 0 };
  try {
    for (const [i, j] of pixels) {
      const id = seg[j * size + i]!;
      let edge = false;
      for (let dj = -1; dj <= 1 && !edge; dj++) {
        for (let di = -1; di <= 1; di++) {
          const ii = Math.min(size - 1, Math.max(0, i + di)), jj = Math.min(size - 1, Math.max(0, j + dj));
          if (seg[jj * size + ii] !== id) edge = true;
        }
      }
      if (edge) continue;
      result.interior++;
      // Camera-frame ray (dx, dy, -1): mj_ray's distance is then in units of z-depth.
      const dx = (i + 0.5 - size / 2) / focal, dy = -(j + 0.5 - size / 2) / focal;
      const vec = [0, 1, 2].map((k) => R[3 * k]! * dx + R[3 * k + 1]! * dy - R[3 * k + 2]!);
      const t = mj.mj_ray(model, data, Array.from(pose.pos), vec, [1, 1, 1, 0, 0, 0] as unknown as number[], true, -1, geomId, null);
      const hit = t >= 0 ? geomId.GetView()[0]! : -1;
      if (hit !== id) continue;
      result.segmentMatches++;
      if (hit < 0) {
        if (depth[j * size + i] === Infinity) result.depthMatches++;
        continue;
      }
      const err = Math.abs(depth[j * size + i]! - t);
      result.worstDepthError = Math.max(result.worstDepthError, err / Math.max(0.001, 0.005 * t));
      if (err <= Math.max(0.001, 0.005 * t)) result.depthMatches++;
    }
  } finally {
    geomId.delete();
  }
  return result;
}

function expectAgreement(check: RayCheck, label: string): void {
  if (process.env.RENDER_TEST_VERBOSE) console.log(label, check);
  const summary = `${label}: ${JSON.stringify(check)}`;
  expect(check.interior, summary).toBeGreaterThan(check.sampled * 0.5);
  expect(check.segmentMatches / check.interior, summary).toBeGreaterThanOrEqual(0.99);
  expect(check.depthMatches / check.segmentMatches, summary).toBeGreaterThanOrEqual(0.99);
}

async function testScene(): Promise<Physics> {
  const physics = await compilePhysics('render-test', ALL_GEOMS_MJCF);
  const { mj, model, data } = physics;
  // Tilt and spin the free body so that no geom is axis-aligned with a camera.
  data.qpos.set([0.1, -0.05, 0.65, 0.95, 0.1, 0.2, 0.2]);
  mj.mj_forward(model, data);
  return physics;
}

describe('software renderer against mj_ray', () => {
  it('agrees on every geom type from fixed, tracking, targeting and free cameras', async () => {
    const physics = await testScene();
    try {
      const renderer = new Renderer(physics);
      for (const camera of ['fixed', 'high', 'track', 'aim', -1] as const) {
        for (const size of [64, 160]) expectAgreement(checkAgainstRays(physics, renderer, camera, size), `camera ${camera} @${size}`);
      }
      // Every drawable geom type shows up in at least one view.
      const seen = new Set<number>();
      for (const camera of ['fixed', 'high', 'track', 'aim']) {
        for (const id of renderer.render({ width: 128, height: 128, camera, segmentation: true }).segmentation!) seen.add(id);
      }
      const { mj, model } = physics;
      const idOf = (name: string) => mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, name);
      for (const name of ['floor', 'box', 'sphere', 'capsule', 'cylinder', 'ellipsoid', 'tetra', 'prism', 'target']) {
        expect(seen.has(idOf(name)), `geom '${name}' visible`).toBe(true);
      }
      for (const name of ['hidden', 'clear']) expect(seen.has(idOf(name)), `geom '${name}' not drawn`).toBe(false);
    } finally {
      physics.dispose();
    }
  });

  it('agrees on every registered task at its default camera', async () => {
    const tasks = listTasks();
    expect(tasks.length).toBeGreaterThan(0);
    for (const task of tasks) {
      const env = await Env.make(task.name);
      try {
        env.reset({ seed: 3 });
        for (let k = 0; k < 5; k++) env.step(new Float64Array(env.actionSpec.dim).fill(0.3));
        const renderer = new Renderer(env.physics);
        expectAgreement(checkAgainstRays(env.physics, renderer, task.defaultCamera, 96), `${task.name}/${task.defaultCamera}`);
      } finally {
        env.close();
      }
    }
  });
});

describe('software renderer against mj_ray on the Adroit hand', () => {
  it('agrees close up on the curled hand and the pen (pen, camera fixed)', async () => {
    const env = await Env.make('pen');
    try {
      env.reset({ seed: 3 });
      for (let k = 0; k < 10; k++) env.step(new Float64Array(env.actionSpec.dim).fill(0.4));
      const renderer = new Renderer(env.physics);
      expectAgreement(checkAgainstRays(env.physics, renderer, 'fixed', 128), 'pen/fixed');
      const seen = new Set(renderer.render({ width: 128, height: 128, camera: 'fixed', segmentation: true }).segmentation!);
      const { mj, model } = env.physics;
      for (const name of ['C_palm', 'C_ffdistal', 'C_mfmiddle', 'C_thdistal', 'pen']) {
        expect(seen.has(mj.mj_name2id(model, mj.mjtObj.mjOBJ_GEOM.value, name)), `geom '${name}' visible`).toBe(true);
      }
    } finally {
      env.close();
    }
  });
});

describe('software renderer outputs', () => {
  it('is deterministic: two renders (and two renderers) give identical bytes', async () => {
    const physics = await testScene();
    try {
      const a = new Renderer(physics).render({ width: 100, height: 80, camera: 'fixed', depth: true, segmentation: true });
      const renderer = new Renderer(physics);
      renderer.render({ width: 64, height: 64, camera: 'high' });
      const b = renderer.render({ width: 100, height: 80, camera: 'fixed', depth: true, segmentation: true });
      expect(Buffer.from(b.rgb).equals(Buffer.from(a.rgb))).toBe(true);
      expect(Buffer.from(b.depth!.buffer).equals(Buffer.from(a.depth!.buffer))).toBe(true);
      expect(Buffer.from(b.segmentation!.buffer).equals(Buffer.from(a.segmentation!.buffer))).toBe(true);
      expect(a.rgb.length).toBe(100 * 80 * 3);
    } finally {
      physics.dispose();
    }
  });

  it('shows the state: moving a body changes the image, and lights change the colour', async () => {
    const physics = await testScene();
    try {
      const renderer = new Renderer(physics);
      const before = renderer.render({ width: 64, height: 64, camera: 'fixed' }).rgb;
      physics.data.qpos[0] = 0.5;
      physics.mj.mj_forward(physics.model, physics.data);
      const after = renderer.render({ width: 64, height: 64, camera: 'fixed' }).rgb;
      expect(Buffer.from(after).equals(Buffer.from(before))).toBe(false);
      // Headlight off: the scene gets darker.
      const vis = physics.model.vis;
      const head = vis.headlight;
      head.active = 0;
      const dark = renderer.render({ width: 64, height: 64, camera: 'fixed' }).rgb;
      head.delete();
      vis.delete();
      const sum = (rgb: Uint8Array) => rgb.reduce((s, v) => s + v, 0);
      expect(sum(dark)).toBeLessThan(sum(after));
    } finally {
      physics.dispose();
    }
  });

  it('mirrors the scene in reflective planes without touching other pixels, depth or segmentation', async () => {
    const physics = await testScene();
    try {
      const options = { width: 96, height: 96, camera: 'fixed', depth: true, segmentation: true } as const;
      const plain = new Renderer(physics, { reflections: false }).render(options);
      const mirrored = new Renderer(physics).render(options);
      const floor = physics.mj.mj_name2id(physics.model, physics.mj.mjtObj.mjOBJ_GEOM.value, 'floor');
      expect(Buffer.from(mirrored.segmentation!.buffer).equals(Buffer.from(plain.segmentation!.buffer))).toBe(true);
      expect(Buffer.from(mirrored.depth!.buffer).equals(Buffer.from(plain.depth!.buffer))).toBe(true);
      let floorChanged = 0;
      for (let i = 0; i < 96 * 96; i++) {
        const same = [0, 1, 2].every((k) => mirrored.rgb[3 * i + k] === plain.rgb[3 * i + k]);
        if (plain.segmentation![i] !== floor) expect(same, `pixel ${i} off the floor`).toBe(true);
        else if (!same) floorChanged++;
      }
      expect(floorChanged).toBeGreaterThan(100);
    } finally {
      physics.dispose();
    }
  });

  it('rejects bad sizes and unknown cameras with clear errors', async () => {
    const physics = await testScene();
    try {
      const renderer = new Renderer(physics);
      expect(() => renderer.render({ width: 32, height: 64, camera: 'fixed' })).toThrow(/width must be an integer in \[64, 512\], got 32/);
      expect(() => renderer.render({ width: 64, height: 513, camera: 'fixed' })).toThrow(/height must be an integer in \[64, 512\], got 513/);
      expect(() => renderer.render({ width: 64.5, height: 64, camera: 'fixed' })).toThrow(/width/);
      expect(() => renderer.render({ width: 64, height: 64, camera: 'nope' })).toThrow(/unknown camera 'nope'; cameras: 0:fixed, 1:high, 2:aim, 3:track/);
      expect(() => renderer.render({ width: 64, height: 64, camera: 9 })).toThrow(/camera id 9 is out of range/);
      expect(() => new Renderer(physics, { maxErrorPx: 0 })).toThrow(/maxErrorPx/);
      expect(() => new Renderer(physics, { geomGroups: [7.5] })).toThrow(/geom group 7.5/);
    } finally {
      physics.dispose();
    }
  });
});

describe('software renderer shading', () => {
  /** A camera at the origin looking straight down (-z) at a scene below it; `body` is MJCF inside worldbody. */
  async function topDown(assets: string, body: string, headlight: string): Promise<Physics> {
    const physics = await compilePhysics(
      'shading-test',
      `<mujoco><visual><headlight ${headlight}/></visual><asset>${assets}</asset>
       <worldbody><camera name="down" pos="0 0 2" xyaxes="1 0 0 0 1 0" fovy="60"/>${body}</worldbody></mujoco>`,
    );
    physics.mj.mj_forward(physics.model, physics.data);
    return physics;
  }

  it('lights a face-on untextured box as rgba * (ambient + diffuse)', async () => {
    const physics = await topDown(
      '<material name="matte" specular="0" rgba=".5 .25 1 1"/>',
      '<geom type="box" size="1 1 .1" material="matte"/>',
      'ambient=".3 .3 .3" diffuse=".5 .5 .5" specular="0 0 0"',
    );
    try {
      const { rgb } = new Renderer(physics).render({ width: 64, height: 64, camera: 'down' });
      const p = 3 * (32 * 64 + 32);
      expect(Math.abs(rgb[p]! - 0.5 * 0.8 * 255)).toBeLessThanOrEqual(1);
      expect(Math.abs(rgb[p + 1]! - 0.25 * 0.8 * 255)).toBeLessThanOrEqual(1);
      expect(Math.abs(rgb[p + 2]! - 0.8 * 255)).toBeLessThanOrEqual(1);
    } finally {
      physics.dispose();
    }
  });

  it('maps a uniform 2-D texture at texrepeat images per 2 m, and shows the skybox around it', async () => {
    // Checker: 2x2 cells per texture image, so cells of 0.5 m at texrepeat 2 with texuniform (as native MuJoCo).
    const physics = await topDown(
      `<texture name="sky" type="skybox" builtin="gradient" rgb1="1 0 0" rgb2="0 0 1" width="16" height="16"/>
       <texture name="grid" type="2d" builtin="checker" rgb1="1 1 1" rgb2="0 0 0" width="64" height="64"/>
       <material name="grid" texture="grid" texrepeat="2 2" texuniform="true" specular="0"/>`,
      '<geom type="plane" size=".75 .75 .1" material="grid"/>',
      'ambient=".5 .5 .5" diffuse=".5 .5 .5" specular="0 0 0"',
    );
    try {
      const size = 128;
      const { rgb, depth } = new Renderer(physics).render({ width: size, height: size, camera: 'down', depth: true });
      // World (x, y) on the floor -> pixel: focal = 64 / tan(30 deg), camera 2 m above, image y down = world -y.
      const focal = size / 2 / Math.tan(Math.PI / 6);
      const at = (x: number, y: number) => {
        const i = Math.floor(size / 2 + (focal * x) / 2), j = Math.floor(size / 2 - (focal * y) / 2);
        return rgb[3 * (j * size + i)]!;
      };
      const cell = (x: number, y: number) => (at(x, y) > 128 ? 1 : 0);
      expect(cell(0.25, 0.25)).toBe(cell(-0.25, -0.25));
      expect(cell(0.25, 0.25)).not.toBe(cell(0.25, -0.25));
      expect(cell(0.25, 0.25)).not.toBe(cell(-0.25, 0.25));
      expect(cell(0.6, 0.1)).not.toBe(cell(0.4, 0.1));
      expect(depth![(size / 2) * size + size / 2]).toBeCloseTo(2, 5);
      // Corner pixels look past the floor at the skybox: its lower half (blue, rgb2) since the camera looks down.
      const corner = rgb.subarray(0, 3);
      expect(corner[2]!).toBeGreaterThan(corner[0]!);
      expect(depth![0]).toBe(Infinity);
    } finally {
      physics.dispose();
    }
  });
});

describe('tessellation', () => {
  /** Every triangle's winding normal points away from the solid's centre (or +z for the plane). */
  function expectOutward(mesh: GeomMesh, label: string, planar = false): void {
    const p = mesh.positions;
    expect(mesh.triangleCount, label).toBeGreaterThan(0);
    for (let t = 0; t < mesh.triangleCount; t++) {
      const [a, b, c] = [0, 1, 2].map((k) => 3 * mesh.indices[3 * t + k]!) as [number, number, number];
      const e1 = [0, 1, 2].map((k) => p[b + k]! - p[a + k]!);
      const e2 = [0, 1, 2].map((k) => p[c + k]! - p[a + k]!);
      const n = [e1[1]! * e2[2]! - e1[2]! * e2[1]!, e1[2]! * e2[0]! - e1[0]! * e2[2]!, e1[0]! * e2[1]! - e1[1]! * e2[0]!];
      const centroid = [0, 1, 2].map((k) => (p[a + k]! + p[b + k]! + p[c + k]!) / 3);
      const outward = planar ? n[2]! : n[0]! * centroid[0]! + n[1]! * centroid[1]! + n[2]! * centroid[2]!;
      expect(outward, `${label} triangle ${t}`).toBeGreaterThan(0);
    }
  }

  it('winds every primitive counter-clockwise seen from outside', () => {
    expectOutward(tessellateSphere(0.3, 16), 'sphere');
    expectOutward(tessellateEllipsoid(0.3, 0.1, 0.2, 12), 'ellipsoid');
    expectOutward(tessellateCapsule(0.1, 0.4, 16, 5), 'capsule');
    expectOutward(tessellateCylinder(0.1, 0.4, 24, 6), 'cylinder');
    expectOutward(tessellateBox(0.1, 0.2, 0.3, 3), 'box');
    expectOutward(tessellatePlane([-2, -1, 0, 1, 2], [-1, 0, 1]), 'plane', true);
  });

  it('keeps sphere vertices on the surface with unit normals', () => {
    const mesh = tessellateSphere(0.25, 24);
    for (let v = 0; v < mesh.vertexCount; v++) {
      const r = Math.hypot(mesh.positions[3 * v]!, mesh.positions[3 * v + 1]!, mesh.positions[3 * v + 2]!);
      expect(r).toBeCloseTo(0.25, 6);
      expect(Math.hypot(mesh.normals[3 * v]!, mesh.normals[3 * v + 1]!, mesh.normals[3 * v + 2]!)).toBeCloseTo(1, 6);
    }
  });
});

describe('image encoders', () => {
  it('round-trips PNG and writes a GIF', () => {
    const rgb = new Uint8Array(64 * 48 * 3).map((_, i) => (i * 37) % 256);
    const back = decodePng(encodePng(rgb, 64, 48));
    expect(back.width).toBe(64);
    expect(Buffer.from(back.rgb).equals(Buffer.from(rgb))).toBe(true);
    const gif = encodeGif([rgb, rgb.slice().reverse()], 64, 48, 10);
    expect(Buffer.from(gif.subarray(0, 6)).toString('ascii')).toBe('GIF89a');
    expect(() => encodePng(rgb, 64, 47)).toThrow(/expected 64x47x3/);
  });
});
