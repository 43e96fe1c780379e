/**
 * The software renderer's look follows native MuJoCo's fixed-function OpenGL renderer: colour saturation per
 * lighting pass, shadow-casting lights in passes of their own, reflections added onto the mirror, the plane grid
 * per-vertex lighting runs on, and the anti-aliasing and texture filtering options. Expected colours are worked out
 * from the lighting equations on scenes whose lighting is exact (flat faces, directional lights, no specular);
 * the pixel comparison with native MuJoCo itself is benchmarks/render_fidelity.ts.
 */
import { describe, expect, it } from 'vitest';
import { compilePhysics, type Physics } from '../src/envs/mujoco.js';
import { gridRange, visiblePlaneWindow, type PlaneWindow } from '../src/envs/render/plane_window.js';
import { Renderer } from '../src/envs/render/renderer.js';
import { planeGridLines } from '../src/envs/render/tessellate.js';

const SIZE = 64;

/** A scene under a camera 2 m up looking straight down (image right = +x, up = +y); `body` goes in worldbody. */
async function topDown(body: string, options: { assets?: string; headlight?: string; visual?: string } = {}): Promise<Physics> {
  const headlight = options.headlight ?? 'ambient=".4 .4 .4" diffuse=".4 .4 .4" specular="0 0 0"';
  const physics = await compilePhysics(
    'look-test',
    `<mujoco><visual><headlight ${headlight}/>${options.visual ?? ''}</visual><asset>${options.assets ?? ''}</asset>
     <worldbody><camera name="down" pos="0 0 2" xyaxes="1 0 0 0 1 0" fovy="60"/>${body}</worldbody></mujoco>`,
  );
  physics.mj.mj_forward(physics.model, physics.data);
  return physics;
}

/** RGB at world point (x, y) on the plane z = `z` below the camera. */
function pixelAt(rgb: Uint8Array, x: number, y: number, z = 0): [number, number, number] {
  const focal = SIZE / 2 / Math.tan(Math.PI / 6);
  const i = Math.floor(SIZE / 2 + (focal * x) / (2 - z)), j = Math.floor(SIZE / 2 - (focal * y) / (2 - z));
  const p = 3 * (j * SIZE + i);
  return [rgb[p]!, rgb[p + 1]!, rgb[p + 2]!];
}

function expectColour(actual: readonly number[], expected: readonly number[], label: string, tolerance = 1.5): void {
  for (let k = 0; k < 3; k++) expect(Math.abs(actual[k]! - expected[k]!), `${label}: got ${actual.join(',')}, expected ${expected.map((v) => v.toFixed(1)).join(',')}`).toBeLessThanOrEqual(tolerance);
}

const render = (physics: Physics, extra: Record<string, unknown> = {}) =>
  new Renderer(physics).render({ width: SIZE, height: SIZE, camera: 'down', ...extra });

/** A flat 2-D texture of one colour (0-1) on a material with no specular. */
const flatTexture = (r: number, g: number, b: number) =>
  `<texture name="flat" type="2d" builtin="flat" rgb1="${r} ${g} ${b}" rgb2="${r} ${g} ${b}" width="8" height="8"/>
   <material name="flat" texture="flat" specular="0"/>`;

describe('lighting passes', () => {
  it('saturates the lit colour at 1 before a texture multiplies it', async () => {
    // Headlight ambient + diffuse = 1.2 on a face-on box: the texel shows as is, not 20% brighter.
    const physics = await topDown('<geom type="box" size="1 1 .1" material="flat"/>', {
      assets: flatTexture(0.5, 0.4, 0.2),
      headlight: 'ambient=".6 .6 .6" diffuse=".6 .6 .6" specular="0 0 0"',
    });
    try {
      expectColour(pixelAt(render(physics).rgb, 0.2, 0.1, 0.1), [0.5 * 255, 0.4 * 255, 0.2 * 255], 'textured box');
    } finally {
      physics.dispose();
    }
  });

  it('adds each shadow-casting light in a pass of its own, saturated on its own', async () => {
    // Headlight 0.8 plus a downward directional light of 0.5: together 1.3 x texel when the light casts shadows
    // (two passes), 1.0 x texel when it does not (one saturated pass).
    const scene = (castshadow: boolean) =>
      topDown(
        `<light directional="true" pos="0 0 3" dir="0 0 -1" diffuse=".5 .5 .5" specular="0 0 0" castshadow="${castshadow}"/>
         <geom type="box" size="1 1 .1" material="flat"/>`,
        { assets: flatTexture(0.4, 0.3, 0.2) },
      );
    for (const [castshadow, factor] of [[true, 1.3], [false, 1]] as const) {
      const physics = await scene(castshadow);
      try {
        expectColour(pixelAt(render(physics).rgb, 0.2, 0.1, 0.1), [0.4, 0.3, 0.2].map((c) => c * factor * 255), `castshadow=${castshadow}`);
      } finally {
        physics.dispose();
      }
    }
  });

  it('shadows the floor behind a box from a shadow-casting light, and nowhere else', async () => {
    // Light travelling along (1, 0, -1): a box 0.5 m up shadows the floor 0.5 m further along +x. A directional
    // light's shadow map is centred on the light's axis (+-extent around it), so the light sits on the box's line.
    const floor = [0.2, 0.5, 0.8];
    const lit = (n: number) => floor.map((c) => c * n * 255);
    const scene = (castshadow: boolean) =>
      topDown(
        `<light directional="true" pos="-2.8 0 3" dir="1 0 -1" diffuse=".5 .5 .5" specular="0 0 0" castshadow="${castshadow}"/>
         <geom name="floor" type="plane" size="2 2 .1" rgba="${floor.join(' ')} 1" material="matte"/>
         <geom name="box" type="box" pos="-.3 0 .5" size=".15 .15 .02" rgba="1 1 1 1" material="matte"/>`,
        { assets: '<material name="matte" specular="0"/>', headlight: 'ambient=".3 .3 .3" diffuse=".3 .3 .3" specular="0 0 0"' },
      );
    const withShadow = await scene(true);
    const without = await scene(false);
    try {
      const a = new Renderer(withShadow).render({ width: SIZE, height: SIZE, camera: 'down', depth: true, segmentation: true });
      const b = new Renderer(without).render({ width: SIZE, height: SIZE, camera: 'down', depth: true, segmentation: true });
      // Headlight 0.6; the light adds 0.5 cos(45 deg) where it reaches the floor.
      const full = 0.6 + 0.5 * Math.SQRT1_2;
      expectColour(pixelAt(a.rgb, 0.2, 0), lit(0.6), 'shadowed floor');
      expectColour(pixelAt(a.rgb, 0.2, 0.5), lit(full), 'lit floor beside the shadow');
      expectColour(pixelAt(b.rgb, 0.2, 0), lit(full), 'floor without shadows');
      expect(Buffer.from(a.depth!.buffer).equals(Buffer.from(b.depth!.buffer))).toBe(true);
      expect(Buffer.from(a.segmentation!.buffer).equals(Buffer.from(b.segmentation!.buffer))).toBe(true);
    } finally {
      withShadow.dispose();
      without.dispose();
    }
  });
});

describe('transparency', () => {
  it('blends a transparent geom twice over what is behind it, and keeps it in depth and segmentation', async () => {
    // Native MuJoCo draws transparent geoms front to back and again back to front: opacity 1 - (1 - a)^2.
    const physics = await topDown(
      `<geom name="floor" type="plane" size="1 1 .1" rgba=".2 .4 .6 1" material="matte"/>
       <geom name="ball" type="sphere" pos="0 0 .5" size=".2" rgba="1 0 0 .3" material="matte"/>`,
      { assets: '<material name="matte" specular="0"/>', headlight: 'ambient=".5 .5 .5" diffuse=".5 .5 .5" specular="0 0 0"' },
    );
    try {
      const frame = render(physics, { depth: true, segmentation: true });
      const opacity = 1 - 0.7 ** 2;
      const expected = [0.2, 0.4, 0.6].map((f, k) => 255 * (f + opacity * ([1, 0, 0][k]! - f)));
      // (The ball's lit colour is interpolated over its facets around the pole: within a few levels of face-on.)
      expectColour(pixelAt(frame.rgb, 0, 0, 0.7), expected, 'floor through the ball', 3);
      const centre = (SIZE / 2) * SIZE + SIZE / 2;
      const ball = physics.mj.mj_name2id(physics.model, physics.mj.mjtObj.mjOBJ_GEOM.value, 'ball');
      expect(frame.segmentation![centre]).toBe(ball);
      expect(frame.depth![centre]).toBeCloseTo(1.3, 2);
    } finally {
      physics.dispose();
    }
  });
});

describe('reflections', () => {
  const sky = '<texture name="sky" type="skybox" builtin="gradient" rgb1="1 1 1" rgb2="1 1 1" width="16" height="16"/>';
  const mirror = (geom: string) =>
    topDown(`${geom}<geom name="ball" type="sphere" pos=".5 0 .4" size=".15" rgba="1 0 0 1" material="matte"/>`, {
      assets: `${sky}<material name="mirror" rgba=".2 .2 .2 1" reflectance=".5" specular="0"/><material name="matte" specular="0"/>`,
    });

  for (const [shape, geom] of [
    ['plane', '<geom name="mirror" type="plane" size="1 1 .1" material="mirror"/>'],
    ['box', '<geom name="mirror" type="box" pos="0 0 -.05" size="1 1 .05" material="mirror"/>'],
  ] as const) {
    it(`adds the mirrored scene onto a reflective ${shape}, without the sky`, async () => {
      const physics = await mirror(geom);
      try {
        const plain = new Renderer(physics, { reflections: false }).render({ width: SIZE, height: SIZE, camera: 'down' }).rgb;
        const shown = render(physics).rgb;
        // Where the mirror shows only (white) sky, native MuJoCo shows the plain mirror colour.
        expectColour(pixelAt(shown, -0.5, -0.5), pixelAt(plain, -0.5, -0.5), 'mirror away from the ball', 0);
        // The ball's reflection shows nearer the image centre than the ball: its underside, lit by the (real)
        // headlight's ambient 0.4 only, scaled by the reflectance 0.5, is added onto the mirror's colour.
        const [r, g, b] = pixelAt(shown, 0.35, 0);
        const [r0, g0, b0] = pixelAt(plain, 0.35, 0);
        expectColour([r, g, b], [r0 + 0.5 * 0.4 * 255, g0, b0], 'mirror showing the ball');
      } finally {
        physics.dispose();
      }
    });
  }
});

describe('anti-aliasing and texture filtering', () => {
  const checker = `<texture name="checker" type="2d" builtin="checker" rgb1="1 1 1" rgb2="0 0 0" width="8" height="8"/>
    <material name="checker" texture="checker" texrepeat="1 1" specular="0"/>`;
  const scene = () =>
    topDown('<geom type="box" size=".8 .8 .1" material="checker"/><geom type="sphere" pos=".4 .4 .3" size=".2" rgba="1 0 0 1"/>', {
      assets: checker,
      headlight: 'ambient=".5 .5 .5" diffuse=".5 .5 .5" specular="0 0 0"',
    });

  it('supersampling softens edges and leaves depth and segmentation at pixel centres', async () => {
    const physics = await scene();
    try {
      const options = { width: SIZE, height: SIZE, camera: 'down', depth: true, segmentation: true, textureFilter: 'nearest' } as const;
      const one = new Renderer(physics).render({ ...options, supersample: 1 });
      const four = new Renderer(physics).render({ ...options, supersample: 4 });
      expect(Buffer.from(four.depth!.buffer).equals(Buffer.from(one.depth!.buffer))).toBe(true);
      expect(Buffer.from(four.segmentation!.buffer).equals(Buffer.from(one.segmentation!.buffer))).toBe(true);
      // Nearest sampling of a black and white checker gives only 0 or 255; averaging samples gives greys at edges.
      const greys = (rgb: Uint8Array) => rgb.filter((v, i) => i % 3 === 1 && v > 10 && v < 245).length;
      expect(greys(one.rgb)).toBe(0);
      expect(greys(four.rgb)).toBeGreaterThan(20);
    } finally {
      physics.dispose();
    }
  });

  it('linear filtering blends neighbouring texels of a magnified texture', async () => {
    const physics = await scene();
    try {
      const nearest = render(physics, { supersample: 1, textureFilter: 'nearest' }).rgb;
      const linear = render(physics, { supersample: 1, textureFilter: 'linear' }).rgb;
      const greens = (rgb: Uint8Array) => Array.from(rgb.filter((_, i) => i % 3 === 1));
      expect(greens(nearest).every((v) => v === 0 || v === 255)).toBe(true);
      const blended = greens(linear).filter((v) => v > 10 && v < 245);
      expect(blended.length).toBeGreaterThan(50);
      // Blends stay between the two texel colours, and cell centres keep them.
      expectColour(pixelAt(linear, 0.4, -0.4, 0.1), pixelAt(nearest, 0.4, -0.4, 0.1), 'cell centre', 1);
    } finally {
      physics.dispose();
    }
  });

  it('rejects unknown supersampling factors and texture filters', async () => {
    const physics = await scene();
    try {
      expect(() => render(physics, { supersample: 2 })).toThrow(/supersample must be one of 1, 4, 16, got 2/);
      expect(() => render(physics, { textureFilter: 'cubic' })).toThrow(/textureFilter must be one of 'nearest', 'linear', got cubic/);
    } finally {
      physics.dispose();
    }
  });
});

describe('plane grid', () => {
  it('lays out grid lines as native MuJoCo does', () => {
    // Half-size 0.3 with spacing 0.1: two 0.2 m cells around the centre and 0.1 m edge cells.
    const lines = planeGridLines(0.3, 0.1, 0, 10);
    expect(lines.length).toBe(5);
    [-0.3, -0.2, 0, 0.2, 0.3].forEach((x, i) => expect(lines[i]).toBeCloseTo(x, 12));
    // A side that divides evenly gets no zero-width edge cells; a long side is capped at 198 cells (spacing widened).
    expect(planeGridLines(1, 0.5, 0, 10)).toEqual([-1, 0, 1]);
    const long = planeGridLines(99, 0.1, 0, 10);
    expect(long.length).toBe(199);
    expect(long[1]! - long[0]!).toBeCloseTo(1, 12);
    // Infinite sides: 200 cells over 2.1 zfar plus one texture image (2 / texrepeat).
    const infinite = planeGridLines(0, 0.1, 2, 10);
    expect(infinite.length).toBe(201);
    expect(infinite[200]! - infinite[0]!).toBeCloseTo(2.1 * 10 + 2, 9);
  });

  it('finds the part of a plane a camera sees, and the grid cells covering it', () => {
    const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const window: PlaneWindow = { x0: 0, x1: 0, y0: 0, y1: 0 };
    // Camera 2 m above the origin looking down with a 90 degree field of view: it sees [-2, 2]^2 of the floor.
    expect(visiblePlaneWindow([0, 0, 0], identity, 10, 10, [0, 0, 2], identity, 1, 1, 0.01, 50, window)).toBe(true);
    expect(window.x0).toBeCloseTo(-2, 9);
    expect(window.x1).toBeCloseTo(2, 9);
    expect(window.y1).toBeCloseTo(2, 9);
    // Clipped to a smaller plane.
    expect(visiblePlaneWindow([0, 0, 0], identity, 1, 0.5, [0, 0, 2], identity, 1, 1, 0.01, 50, window)).toBe(true);
    expect([window.x0, window.x1, window.y0, window.y1]).toEqual([-1, 1, -0.5, 0.5]);
    // A plane beside the view, or behind the camera, is not seen.
    expect(visiblePlaneWindow([10, 0, 0], identity, 1, 1, [0, 0, 2], identity, 1, 1, 0.01, 50, window)).toBe(false);
    expect(visiblePlaneWindow([0, 0, 3], identity, 1, 1, [0, 0, 2], identity, 1, 1, 0.01, 50, window)).toBe(false);
    expect(gridRange([-3, -2, -1, 0, 1, 2, 3], -1.5, 0.5)).toEqual([1, 4]);
    expect(gridRange([-3, -2, -1, 0, 1, 2, 3], -10, 10)).toEqual([0, 6]);
  });
});
