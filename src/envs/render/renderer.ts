/**
 * The software renderer: draws a MuJoCo scene from any camera into RGB, z-depth and geom-id segmentation, reading
 * everything from the compiled model and the current data (no GL, no native code). It reproduces native MuJoCo
 * 2.2's fixed-function OpenGL renderer, pass for pass (benchmarks/render_fidelity.ts measures how closely).
 *
 * Per frame, the shadow maps of shadow-casting lights are drawn (shadow.ts); then per sample (one, or several
 * averaged, see SAMPLE_PATTERNS), as mjr_render draws a frame:
 *   1. main pass: each visible opaque geom's cached local-frame mesh is transformed to camera space, lit per
 *      vertex by the lights that cast no shadow, and rasterised nearest first into a z-buffer over the skybox;
 *   2. reflection: the first reflective plane or box adds the scene mirrored in it (see drawReflections);
 *   3. one pass per shadow-casting light, added where its shadow map lets the light through;
 *   4. transparent geoms, blended over the result (see drawView).
 * Output conventions:
 *   rgb          [H, W, 3] uint8, top row first
 *   depth        [H, W] float32 z-depth: metres along the camera's optical axis (not along the pixel's ray);
 *                Infinity where only background is seen
 *   segmentation [H, W] int32 geom id, -1 for background
 * Depth and segmentation are single samples at pixel centres, also when RGB is supersampled. Not modelled: fog,
 * haze, planes seen from behind (native draws them faint; culled here), height fields and SDF geoms (skipped),
 * orthographic cameras and camera sensor intrinsics.
 */
import type { MjData, MjModel, Physics } from '../mujoco.js';
import { cameraPose, resolveCameraId, type CameraPose } from './camera.js';
import { GEOM_BOX, GEOM_CAPSULE, GEOM_CYLINDER, GEOM_MESH, GEOM_PLANE, GEOM_SPHERE, GeomLodCache, GeomMeshLibrary } from './geom_meshes.js';
import { collectLights, FrameLights, LIGHT_DIRECTIONAL, LIGHT_SPOT, MAIN_PASS, type LightSources } from './lights.js';
import { LiveViews } from './live_views.js';
import { ADD_LIT, BLEND, DEPTH_ONLY, DRAW, Rasterizer } from './rasterizer.js';
import { gridRange, visiblePlaneWindow, type PlaneWindow } from './plane_window.js';
import { PROJECTION_ORTHOGRAPHIC, PROJECTION_PERSPECTIVE, ShadowMap } from './shadow.js';
import { SkyboxView } from './skybox.js';
import type { GeomMesh } from './tessellate.js';
import {
  cubeFaceCoords,
  decodeTexture,
  projectOntoCubeFace,
  TEXTURE_2D,
  TEXTURE_FILTERS,
  TEXTURE_SKYBOX,
  type Texture,
  type TextureFilter,
  type TextureImage,
} from './texture.js';
import { shadeVertices, type Surface } from './vertex_shading.js';
import { checkRenderSize, SUPERSAMPLES, type RenderOptions, type RenderResult, type Supersample } from './types.js';

export { MAX_RENDER_SIZE, MIN_RENDER_SIZE } from './types.js';
/**
 * The look of frames unless a render asks otherwise, chosen against native MuJoCo with
 * benchmarks/render_fidelity.ts: linear texture filtering and one sample per pixel. One sample is within 2/255 of
 * native on every task's default view at 64-256 px (worst 1.84 at 64 px, 0.77 at 256); 4 samples (native's 4x
 * multisampling positions) bring small frames to ~0.5/255 at 4-5x the cost, so they are an option, not the default.
 */
export const DEFAULT_TEXTURE_FILTER: TextureFilter = 'linear';
export const DEFAULT_SUPERSAMPLE: Supersample = 1;

/**
 * Sample positions within a pixel (x right, y down, in [0, 1)) per supersampling setting: the centre; native
 * MuJoCo's 4x multisampling positions (Mesa's standard rotated grid, given in GL's bottom-up rows and flipped
 * here to image rows), which matter for near-horizontal and near-vertical edges; a 4 x 4 grid.
 */
const SAMPLE_PATTERNS: Record<Supersample, readonly (readonly [number, number])[]> = {
  1: [[0.5, 0.5]],
  4: [[0.375, 0.875], [0.875, 0.625], [0.125, 0.375], [0.625, 0.125]],
  16: Array.from({ length: 16 }, (_, k) => [((k % 4) + 0.5) / 4, (Math.floor(k / 4) + 0.5) / 4] as const),
};

/** What every sample of a frame shares: its size in pixels and depth range. */
interface FrameSetup {
  width: number;
  height: number;
  near: number;
  far: number;
}

/** drawView's pass for the transparent geoms (after the main pass, reflections and shadow-casting lights). */
const TRANSPARENT_PASS = -2;
/** Geoms with a smaller alpha are transparent, as native MuJoCo counts them. */
const TRANSPARENT_BELOW = 0.995;

/**
 * Shadow-map texels per frame pixel along each axis. Native maps are shadowsize^2 (2048 or 4096) whatever the
 * frame; this many texels per pixel put shadow edges within a pixel of native's at a fraction of the cost.
 */
const SHADOW_TEXELS_PER_PIXEL = 4;

/** mat_texid holds mjNTEXROLE texture ids per material; RGB and RGBA roles carry the colour image. */
const TEXTURE_ROLES = 10;
const ROLE_RGB = 1;
const ROLE_RGBA = 8;

export interface RendererOptions {
  /**
   * Largest allowed chord error of curved geoms' tessellation, in pixels at the geom's nearest depth; smaller means
   * finer meshes. Default 0.35.
   */
  maxErrorPx?: number;
  /** Background colour (RGB in [0, 1]) when the model has no skybox texture. Default black. */
  background?: readonly [number, number, number];
  /** Geom groups drawn (MuJoCo shows groups 0-2 by default). */
  geomGroups?: readonly number[];
  /** Mirror the scene in planes whose material has reflectance > 0, as MuJoCo does. Default true. */
  reflections?: boolean;
}

export class Renderer {
  private readonly meshes: GeomMeshLibrary;
  private readonly textures: (Texture | null)[];
  private readonly skybox: Texture | null;
  private readonly texUniform: Uint8Array;
  /** Views of the model's and data's arrays, kept across frames. */
  private readonly modelArrays: LiveViews<MjModel>;
  private readonly dataArrays: LiveViews<MjData>;
  /** The model's lights, refreshed per frame; their byte-array flags are read once. */
  private readonly lightSources: LightSources;
  /** Whether shadow-casting lights get passes of their own (native MuJoCo needs a shadow map: shadowsize > 0). */
  private readonly shadows: boolean;
  /** vis.quality.shadowsize, stat.extent * vis.map.shadowclip and vis.map.shadowscale. */
  private readonly shadowSize: number;
  private readonly shadowClip: number;
  private readonly shadowScale: number;
  /** The current frame's shadow maps, per shadow-casting light's pass. */
  private readonly shadowMaps: (ShadowMap | null)[] = [];
  /** [H, W, 3] per-channel sums of the samples of a supersampled frame (16 x 255 fits 16 bits). */
  private sampleSum = new Uint16Array(0);
  private readonly shadowLod = new GeomLodCache();
  private readonly lights = new FrameLights();
  private readonly visibleGroups = new Uint8Array(32);
  private readonly backgroundColour: number;
  private readonly reflections: boolean;
  /** The camera's view, and the mirrored view used for reflective planes. */
  private readonly mainView = new ViewPass();
  private readonly mirrorView = new ViewPass();
  /** The view being drawn. */
  private view = this.mainView;
  /** Material and texture arrays of the model, fetched once per frame (each binding access builds a new view). */
  private materials: MaterialArrays = {
    rgba: new Float32Array(0),
    specular: new Float32Array(0),
    shininess: new Float32Array(0),
    emission: new Float32Array(0),
    texId: new Int32Array(0),
    texRepeat: new Float32Array(0),
    texType: new Int32Array(0),
  };
  /** Scratch for cube-mapped geoms: face per triangle and triangle indices grouped by face. */
  private faceOfTriangle = new Uint8Array(0);
  private faceIndices = new Uint32Array(0);
  private readonly cubeScratch = new Float64Array(3);
  /** Scratch per view: the visible geoms in drawing order and their nearest depths. */
  private drawOrder = new Int32Array(0);
  private drawDepth = new Float64Array(0);
  /** Scratch for planes: the geom's pose and its visible window. */
  private readonly geomPos = new Float64Array(3);
  private readonly geomRot = new Float64Array(9);
  private readonly planeWindow: PlaneWindow = { x0: 0, x1: 0, y0: 0, y1: 0 };
  /** World direction towards the headlight: the main camera's backward axis, in every view. */
  private readonly headlightFrom = new Float64Array(3);
  /** Model-to-camera rotation (row-major) and translation of the geom being drawn. */
  private readonly modelView = new Float64Array(12);

  constructor(
    readonly physics: Physics,
    options: RendererOptions = {},
  ) {
    const { model } = physics;
    this.modelArrays = new LiveViews(model);
    this.dataArrays = new LiveViews(physics.data);
    const maxErrorPx = options.maxErrorPx ?? 0.35;
    if (!(maxErrorPx > 0)) throw new Error(`Renderer: maxErrorPx must be > 0, got ${options.maxErrorPx}`);
    this.meshes = new GeomMeshLibrary(model, maxErrorPx);
    const bg = options.background ?? [0, 0, 0];
    if (bg.length !== 3 || bg.some((c) => !(c >= 0 && c <= 1))) {
      throw new Error(`Renderer: background must be 3 numbers in [0, 1], got [${bg.join(', ')}]`);
    }
    this.backgroundColour = packColour(bg[0] * 255, bg[1] * 255, bg[2] * 255);
    this.reflections = options.reflections ?? true;
    for (const group of options.geomGroups ?? [0, 1, 2]) {
      if (!Number.isInteger(group) || group < 0 || group >= this.visibleGroups.length) {
        throw new Error(`Renderer: geom group ${group} is out of range; expected integers in [0, ${this.visibleGroups.length - 1}]`);
      }
      this.visibleGroups[group] = 1;
    }
    this.textures = new Array<Texture | null>(model.ntex).fill(null);
    const texTypes = this.modelArrays.get<Int32Array>('tex_type');
    let skyboxId = -1;
    for (let i = 0; i < model.ntex; i++) if (texTypes[i] === TEXTURE_SKYBOX && skyboxId < 0) skyboxId = i;
    this.skybox = skyboxId >= 0 ? this.texture(skyboxId) : null;
    // mat_texuniform and light_active are byte arrays, which the WASM binding cannot expose as views; the
    // per-element accessors can, so read them once here.
    this.texUniform = new Uint8Array(model.nmat);
    for (let i = 0; i < model.nmat; i++) {
      const mat = model.mat(i);
      this.texUniform[i] = mat.texuniform ? 1 : 0;
      mat.delete();
    }
    const active = new Uint8Array(model.nlight);
    const castsShadow = new Uint8Array(model.nlight);
    for (let i = 0; i < model.nlight; i++) {
      const light = model.light(i);
      active[i] = light.active ? 1 : 0;
      castsShadow[i] = light.castshadow ? 1 : 0;
      light.delete();
    }
    this.lightSources = {
      headlight: null,
      active,
      castsShadow,
      type: new Int32Array(0),
      ambient: new Float32Array(0),
      diffuse: new Float32Array(0),
      specular: new Float32Array(0),
      attenuation: new Float32Array(0),
      cutoff: new Float32Array(0),
      exponent: new Float32Array(0),
      xpos: new Float64Array(0),
      xdir: new Float64Array(0),
    };
    const vis = model.vis, quality = vis.quality, map = vis.map, stat = model.stat;
    this.shadowSize = quality.shadowsize;
    this.shadowClip = stat.extent * map.shadowclip;
    this.shadowScale = map.shadowscale;
    for (const handle of [quality, map, vis, stat]) handle.delete();
    this.shadows = this.shadowSize > 0;
  }

  render(options: RenderOptions): RenderResult {
    const { width, height } = options;
    checkRenderSize('render: ', options);
    const supersample = options.supersample ?? DEFAULT_SUPERSAMPLE;
    if (!SUPERSAMPLES.includes(supersample)) {
      throw new Error(`render: supersample must be one of ${SUPERSAMPLES.join(', ')}, got ${String(supersample)}`);
    }
    const filter = options.textureFilter ?? DEFAULT_TEXTURE_FILTER;
    if (!TEXTURE_FILTERS.includes(filter)) {
      throw new Error(`render: textureFilter must be one of ${TEXTURE_FILTERS.map((f) => `'${f}'`).join(', ')}, got ${String(filter)}`);
    }
    const frame = this.beginFrame(resolveCameraId(this.physics, options.camera), width, height, filter);
    const ras = this.mainView.rasterizer;
    const pattern = SAMPLE_PATTERNS[supersample];
    let rgb: Uint8Array;
    if (pattern.length === 1) {
      this.drawSample(frame, 0.5, 0.5);
      rgb = new Uint8Array(ras.rgb.buffer.slice(0));
    } else {
      const sum = this.sampleSum.length === width * height * 3 ? this.sampleSum.fill(0) : (this.sampleSum = new Uint16Array(width * height * 3));
      for (let s = 0; s < pattern.length; s++) {
        this.drawSample(frame, pattern[s]![0], pattern[s]![1]);
        const samples = ras.rgb;
        for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + samples[i]!;
      }
      rgb = new Uint8Array(sum.length);
      // Rounded mean; pattern sizes are powers of two.
      const shift = Math.log2(pattern.length), half = pattern.length >> 1;
      for (let i = 0; i < sum.length; i++) rgb[i] = (sum[i]! + half) >> shift;
      // Depth and segmentation are single samples at pixel centres, which the patterns do not have.
      if (options.depth || options.segmentation) this.drawSample(frame, 0.5, 0.5);
    }
    const result: RenderResult = { width, height, rgb };
    if (options.depth) {
      result.depth = new Float32Array(width * height);
      ras.readDepth(result.depth);
    }
    if (options.segmentation) result.segmentation = ras.segment.slice();
    return result;
  }

  /**
   * What stays the same for every sample of a frame: the camera pose, materials, lights and their shadow maps,
   * and the depth range.
   */
  private beginFrame(cameraId: number, width: number, height: number, filter: TextureFilter): FrameSetup {
    const { physics } = this;
    const { model } = physics;
    cameraPose(physics, cameraId, this.mainView.pose);
    this.materials = {
      rgba: this.modelArrays.get<Float32Array>('mat_rgba'),
      specular: this.modelArrays.get<Float32Array>('mat_specular'),
      shininess: this.modelArrays.get<Float32Array>('mat_shininess'),
      emission: this.modelArrays.get<Float32Array>('mat_emission'),
      texId: this.modelArrays.get<Int32Array>('mat_texid'),
      texRepeat: this.modelArrays.get<Float32Array>('mat_texrepeat'),
      texType: this.modelArrays.get<Int32Array>('tex_type'),
    };
    const stat = model.stat;
    const extent = stat.extent;
    stat.delete();
    const vis = model.vis;
    const map = vis.map;
    const near = Math.max(map.znear * extent, 1e-5);
    const far = map.zfar * extent;
    map.delete();
    this.refreshLightSources(vis);
    vis.delete();
    this.mainView.rasterizer.textureFilter = filter;
    this.mirrorView.rasterizer.textureFilter = filter;
    this.buildShadowMaps(Math.max(width, height), near);
    return { width, height, near, far };
  }

  /**
   * Draws one sample of the frame into the main view's buffers, every pixel looking through (x, y) within it:
   * the opaque geoms, the mirrored scene, the shadow-casting lights, then the transparent geoms.
   */
  private drawSample(frame: FrameSetup, x: number, y: number): void {
    const main = this.mainView;
    main.sampleX = x;
    main.sampleY = y;
    // The mirrored view is flipped left-right, so its pixels look through (1 - x, y).
    this.mirrorView.sampleX = 1 - x;
    this.mirrorView.sampleY = y;
    this.view = main;
    this.drawView(frame, -1, MAIN_PASS);
    if (this.reflections) this.drawReflections(frame);
    this.drawShadowedLights(frame);
    this.drawView(frame, -1, TRANSPARENT_PASS);
  }

  /**
   * Draws the visible geoms into `this.view` from its pose, for `pass`: the main pass clears the view and draws
   * the opaque geoms, nearest first; a shadow-casting light's pass adds that light to them where its shadow map
   * lets it through; the transparent pass blends the transparent geoms (alpha < 0.995) over them as native
   * MuJoCo does, lit by every light at once: sorted by distance, drawn front to back and again back to front,
   * without depth writes (then a depth-only pass puts them into depth and segmentation). `mirrorPlane` >= 0 draws
   * the mirrored view of that geom: the geom itself and geoms wholly behind its plane are left out, and every
   * light is lit at once (native MuJoCo draws no shadows in reflections).
   */
  private drawView(frame: FrameSetup, mirrorPlane: number, pass: number): void {
    const { physics, view } = this;
    const { model } = physics;
    const { width, height, near, far } = frame;
    const { rasterizer: ras, pose } = view;
    const tanHalfY = Math.tan((pose.fovyDeg * Math.PI) / 360);
    const tanHalfX = (tanHalfY * width) / height;
    const focal = height / 2 / tanHalfY;
    if (pass === MAIN_PASS) {
      ras.resize(width, height);
      ras.setProjection(focal, near, view.sampleX, view.sampleY);
      // The mirrored view has no background: MuJoCo draws the skybox after reflections, outside the mirror.
      if (mirrorPlane >= 0) ras.clear(0);
      else if (!this.skybox) ras.clear(this.backgroundColour);
      else ras.clear(view.sky.draw(this.skybox, pose.rot, width, height, focal, ras.textureFilter));
    }
    const transparentPass = pass === TRANSPARENT_PASS;
    this.collectViewLights(mirrorPlane >= 0 || transparentPass);

    const frustum = this.view.frustum;
    frustum.near = near;
    frustum.far = far;
    frustum.focal = focal;
    frustum.tanHalfX = tanHalfX;
    frustum.tanHalfY = tanHalfY;
    const types = this.modelArrays.get<Int32Array>('geom_type');
    const groups = this.modelArrays.get<Int32Array>('geom_group');
    const rgbaAll = this.modelArrays.get<Float32Array>('geom_rgba');
    const matIds = this.modelArrays.get<Int32Array>('geom_matid');
    const rbound = this.modelArrays.get<Float64Array>('geom_rbound');
    const xpos = this.dataArrays.get<Float64Array>('geom_xpos');
    const xmat = this.dataArrays.get<Float64Array>('geom_xmat');
    const R = pose.rot, cp = pose.pos;
    const cullX = Math.hypot(1, tanHalfX), cullY = Math.hypot(1, tanHalfY);

    // Visible geoms, opaque ones drawn nearest first: the depth test then rejects hidden pixels before they are
    // shaded (a table hides most of the floor). Planes, unbounded, come last.
    const order = this.drawOrder.length === model.ngeom ? this.drawOrder : (this.drawOrder = new Int32Array(model.ngeom));
    const depthKey = this.drawDepth.length === model.ngeom ? this.drawDepth : (this.drawDepth = new Float64Array(model.ngeom));
    let count = 0;
    for (let g = 0; g < model.ngeom; g++) {
      const type = types[g]!;
      const group = groups[g]!;
      if (!this.isVisibleGroup(group)) continue;
      const alpha = this.geomAlpha(g, rgbaAll, matIds);
      if (alpha === 0 || alpha < TRANSPARENT_BELOW !== transparentPass) continue;
      const radius = rbound[g]!;
      if (mirrorPlane >= 0) {
        // The mirror itself and geoms wholly behind its plane are not mirrored.
        if (g === mirrorPlane) continue;
        const m = 9 * mirrorPlane, o = this.view.mirrorPoint;
        const height = (xpos[3 * g]! - o[0]!) * xmat[m + 2]! + (xpos[3 * g + 1]! - o[1]!) * xmat[m + 5]! + (xpos[3 * g + 2]! - o[2]!) * xmat[m + 8]!;
        if (height < -radius) continue;
      }
      const px = xpos[3 * g]! - cp[0]!, py = xpos[3 * g + 1]! - cp[1]!, pz = xpos[3 * g + 2]! - cp[2]!;
      const tx = R[0]! * px + R[3]! * py + R[6]! * pz;
      const ty = R[1]! * px + R[4]! * py + R[7]! * pz;
      const tz = R[2]! * px + R[5]! * py + R[8]! * pz;
      if (type !== GEOM_PLANE) {
        // Bounding-sphere frustum culling (planes are unbounded).
        if (tz - radius > -near || -tz - radius > far) continue;
        if ((tx + tanHalfX * tz) / cullX > radius || (-tx + tanHalfX * tz) / cullX > radius) continue;
        if ((ty + tanHalfY * tz) / cullY > radius || (-ty + tanHalfY * tz) / cullY > radius) continue;
      }
      // Transparent geoms sort as native's do: distance to the camera less the bounding radius.
      depthKey[g] = type === GEOM_PLANE ? Infinity : transparentPass ? Math.hypot(px, py, pz) - radius : -tz - radius;
      order[count++] = g;
    }
    // Insertion sort: a handful of geoms, in nearly the same order frame after frame.
    for (let i = 1; i < count; i++) {
      const g = order[i]!, key = depthKey[g]!;
      let j = i - 1;
      for (; j >= 0 && (depthKey[order[j]!]! > key || (depthKey[order[j]!] === key && order[j]! > g)); j--) order[j + 1] = order[j]!;
      order[j + 1] = g;
    }
    if (!transparentPass) {
      this.drawGeoms(order, count, false, pass);
      return;
    }
    ras.mode = BLEND;
    this.drawGeoms(order, count, false, MAIN_PASS);
    this.drawGeoms(order, count, true, MAIN_PASS);
    ras.mode = DEPTH_ONLY;
    this.drawGeoms(order, count, false, MAIN_PASS);
    ras.mode = DRAW;
  }

  /**
   * Draws geoms order[0 .. count) (in reverse with `backwards`) into `this.view` within its frustum, with the
   * rasterizer's current mode, lit by the lights of `pass`.
   */
  private drawGeoms(order: Int32Array, count: number, backwards: boolean, pass: number): void {
    const { pose, frustum } = this.view;
    const { near, far, focal, tanHalfX, tanHalfY } = frustum;
    const types = this.modelArrays.get<Int32Array>('geom_type');
    const rgbaAll = this.modelArrays.get<Float32Array>('geom_rgba');
    const matIds = this.modelArrays.get<Int32Array>('geom_matid');
    const sizes = this.modelArrays.get<Float64Array>('geom_size');
    const rbound = this.modelArrays.get<Float64Array>('geom_rbound');
    const xpos = this.dataArrays.get<Float64Array>('geom_xpos');
    const xmat = this.dataArrays.get<Float64Array>('geom_xmat');
    const R = pose.rot, cp = pose.pos, mv = this.modelView;
    for (let k = 0; k < count; k++) {
      const g = order[backwards ? count - 1 - k : k]!;
      const type = types[g]!;
      const radius = rbound[g]!;
      // Model-view transform: rotation Rc^T Rg and translation Rc^T (pg - pc).
      const px = xpos[3 * g]! - cp[0]!, py = xpos[3 * g + 1]! - cp[1]!, pz = xpos[3 * g + 2]! - cp[2]!;
      const tx = R[0]! * px + R[3]! * py + R[6]! * pz;
      const ty = R[1]! * px + R[4]! * py + R[7]! * pz;
      const tz = R[2]! * px + R[5]! * py + R[8]! * pz;
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          mv[3 * i + j] = R[i]! * xmat[9 * g + j]! + R[3 + i]! * xmat[9 * g + 3 + j]! + R[6 + i]! * xmat[9 * g + 6 + j]!;
        }
      }
      mv[9] = tx;
      mv[10] = ty;
      mv[11] = tz;
      let mesh: GeomMesh | null;
      if (type === GEOM_PLANE) {
        // Only the grid cells the camera can see (planes can span hundreds of native grid cells).
        const grid = this.meshes.planeGrid(g, sizes, matIds, this.materials.texRepeat, far);
        const lastX = grid.x.length - 1, lastY = grid.y.length - 1;
        const window = this.planeWindow;
        const halfX = Math.max(-grid.x[0]!, grid.x[lastX]!), halfY = Math.max(-grid.y[0]!, grid.y[lastY]!);
        this.geomPos.set(xpos.subarray(3 * g, 3 * g + 3));
        this.geomRot.set(xmat.subarray(9 * g, 9 * g + 9));
        if (!visiblePlaneWindow(this.geomPos, this.geomRot, halfX, halfY, cp, R, tanHalfX, tanHalfY, near, far, window)) continue;
        const [x0, x1] = gridRange(grid.x, window.x0, window.x1);
        const [y0, y1] = gridRange(grid.y, window.y0, window.y1);
        mesh = this.meshes.planeCells(g, grid, x0, x1, y0, y1, this.view.lod);
      } else {
        const nearestDepth = Math.max(-tz - radius, near);
        mesh = this.meshes.meshFor(g, type, sizes, focal / nearestDepth, this.view.lod);
      }
      if (!mesh) continue;
      this.drawGeom(g, type, mesh, matIds[g]!, rgbaAll, sizes, pass);
    }
  }

  /** Whether geoms of `group` are drawn (RendererOptions.geomGroups). */
  private isVisibleGroup(group: number): boolean {
    return group >= 0 && group < this.visibleGroups.length && this.visibleGroups[group] === 1;
  }

  /** A geom's opacity: its rgba alpha, or its material's where the geom keeps the default colour. */
  private geomAlpha(g: number, rgbaAll: Float32Array, matIds: Int32Array): number {
    const matId = matIds[g]!;
    const isDefault = rgbaAll[4 * g] === 0.5 && rgbaAll[4 * g + 1] === 0.5 && rgbaAll[4 * g + 2] === 0.5 && rgbaAll[4 * g + 3] === 1;
    return matId >= 0 && isDefault ? this.materials.rgba[4 * matId + 3]! : rgbaAll[4 * g + 3]!;
  }

  /** Fetches the frame's light arrays and headlight (the headlight can be changed between frames). */
  private refreshLightSources(vis: MjModel['vis']): void {
    const sources = this.lightSources, model = this.modelArrays, data = this.dataArrays;
    const head = vis.headlight;
    sources.headlight = head.active
      ? { ambient: (head.ambient as Float32Array).slice(), diffuse: (head.diffuse as Float32Array).slice(), specular: (head.specular as Float32Array).slice() }
      : null;
    // Embind handles to nested structs must be released explicitly.
    head.delete();
    sources.type = model.get<Int32Array>('light_type');
    sources.ambient = model.get<Float32Array>('light_ambient');
    sources.diffuse = model.get<Float32Array>('light_diffuse');
    sources.specular = model.get<Float32Array>('light_specular');
    sources.attenuation = model.get<Float32Array>('light_attenuation');
    sources.cutoff = model.get<Float32Array>('light_cutoff');
    sources.exponent = model.get<Float32Array>('light_exponent');
    sources.xpos = data.get<Float64Array>('light_xpos');
    sources.xdir = data.get<Float64Array>('light_xdir');
  }

  /**
   * The lights of the frame in the current view's camera space. With `allInMainPass` (the mirrored view and
   * transparent geoms, which native MuJoCo lights in one pass) shadow-casting lights get no passes of their own.
   */
  private collectViewLights(allInMainPass: boolean): void {
    const mainRot = this.mainView.pose.rot;
    this.headlightFrom[0] = mainRot[2]!;
    this.headlightFrom[1] = mainRot[5]!;
    this.headlightFrom[2] = mainRot[8]!;
    const pose = this.view.pose;
    collectLights(this.lightSources, pose.pos, pose.rot, this.headlightFrom, this.shadows && !allInMainPass, this.lights);
  }

  /** Adds each shadow-casting light to the main view in a pass of its own, masked by the light's shadow map. */
  private drawShadowedLights(frame: FrameSetup): void {
    this.view = this.mainView;
    const ras = this.mainView.rasterizer;
    const pose = this.mainView.pose;
    for (let pass = 0; pass < this.shadowMaps.length; pass++) {
      const map = this.shadowMaps[pass];
      if (!map) continue;
      map.setCamera(pose.pos, pose.rot, ras.focalPx, ras.centreX, ras.centreY);
      ras.mode = ADD_LIT;
      ras.shadow = map;
      try {
        this.drawView(frame, -1, pass);
      } finally {
        ras.mode = DRAW;
        ras.shadow = null;
      }
    }
  }

  /**
   * The frame's shadow maps, one per shadow-casting light (its pass number indexes them; null for lights native
   * MuJoCo casts no shadow map for), drawn once for every sample of the frame.
   */
  private buildShadowMaps(framePixels: number, near: number): void {
    this.view = this.mainView;
    this.collectViewLights(false);
    const lights = this.lights;
    this.shadowMaps.length = lights.shadowPasses;
    for (let pass = 0; pass < lights.shadowPasses; pass++) {
      let light = -1;
      for (let l = 0; l < lights.count; l++) if (lights.pass[l] === pass) light = lights.modelLight[l]!;
      const map = this.shadowMaps[pass] ?? new ShadowMap();
      this.shadowMaps[pass] = this.buildShadowMap(map, light, framePixels, near) ? map : null;
    }
  }

  /**
   * Fills the shadow map of model light `light` with every visible geom but planes, at a few texels per frame pixel
   * (`framePixels` = the frame's larger side), at most the model's shadowsize. False for lights native MuJoCo
   * casts no shadow map for.
   */
  private buildShadowMap(map: ShadowMap, light: number, framePixels: number, near: number): boolean {
    const { model } = this.physics;
    const type = this.modelArrays.get<Int32Array>('light_type')[light]!;
    if (type !== LIGHT_SPOT && type !== LIGHT_DIRECTIONAL) return false;
    const xpos = this.dataArrays.get<Float64Array>('light_xpos').subarray(3 * light, 3 * light + 3);
    const dir = this.dataArrays.get<Float64Array>('light_xdir').subarray(3 * light, 3 * light + 3);
    const norm = Math.hypot(dir[0]!, dir[1]!, dir[2]!) || 1;
    const unitDir = [dir[0]! / norm, dir[1]! / norm, dir[2]! / norm];
    const size = Math.min(this.shadowSize, SHADOW_TEXELS_PER_PIXEL * framePixels);
    const fovy = Math.min(2 * this.modelArrays.get<Float32Array>('light_cutoff')[light]! * this.shadowScale, 160);
    map.begin(size, xpos, unitDir, type === LIGHT_DIRECTIONAL ? PROJECTION_ORTHOGRAPHIC : PROJECTION_PERSPECTIVE, this.shadowClip, fovy, near);
    const types = this.modelArrays.get<Int32Array>('geom_type');
    const groups = this.modelArrays.get<Int32Array>('geom_group');
    const rgba = this.modelArrays.get<Float32Array>('geom_rgba');
    const matIds = this.modelArrays.get<Int32Array>('geom_matid');
    const sizes = this.modelArrays.get<Float64Array>('geom_size');
    const rbound = this.modelArrays.get<Float64Array>('geom_rbound');
    const gpos = this.dataArrays.get<Float64Array>('geom_xpos');
    const gmat = this.dataArrays.get<Float64Array>('geom_xmat');
    // Every drawn geom casts, transparent ones too, as in native MuJoCo (planes excepted, see shadow.ts).
    for (let g = 0; g < model.ngeom; g++) {
      const type = types[g]!, group = groups[g]!;
      if (type === GEOM_PLANE || this.geomAlpha(g, rgba, matIds) === 0 || !this.isVisibleGroup(group)) continue;
      const nearest = map.depthOf(gpos[3 * g]!, gpos[3 * g + 1]!, gpos[3 * g + 2]!) - rbound[g]!;
      const mesh = this.meshes.meshFor(g, type, sizes, map.texelsPerMetre(nearest), this.shadowLod);
      if (mesh) map.drawCaster(g, mesh, gpos.subarray(3 * g, 3 * g + 3), gmat.subarray(9 * g, 9 * g + 9));
    }
    return true;
  }

  /**
   * The reflective geom shows the scene mirrored in it, as MuJoCo 2.2 draws it: the mirrored geoms with their
   * colour scaled by the reflectance r (specular is not) over black, no skybox, and the lit geom added on top:
   * pixel = geom + mirrored. Where only sky would be mirrored, the geom shows plainly. A plane mirrors over its
   * whole area, a box over its +z face. The mirrored scene is the view from the camera reflected through that
   * plane (x axis negated to keep the frame right-handed, so its image is flipped left-right). Depth and
   * segmentation keep the geom.
   */
  private drawReflections(frame: FrameSetup): void {
    const { width, height } = frame;
    const main = this.mainView;
    const cam = main.pose;
    const g = this.reflectiveGeom(cam.pos);
    if (g < 0) return;
    const segment = main.rasterizer.segment;
    if (segment.indexOf(g) < 0) return;
    const xpos = this.dataArrays.get<Float64Array>('geom_xpos');
    const xmat = this.dataArrays.get<Float64Array>('geom_xmat');
    const nx = xmat[9 * g + 2]!, ny = xmat[9 * g + 5]!, nz = xmat[9 * g + 8]!;
    // The mirror plane: the plane itself, or the box's +z face.
    const isBox = this.modelArrays.get<Int32Array>('geom_type')[g] === GEOM_BOX;
    const offset = isBox ? this.modelArrays.get<Float64Array>('geom_size')[3 * g + 2]! : 0;
    const px = xpos[3 * g]! + offset * nx, py = xpos[3 * g + 1]! + offset * ny, pz = xpos[3 * g + 2]! + offset * nz;
    const above = (cam.pos[0]! - px) * nx + (cam.pos[1]! - py) * ny + (cam.pos[2]! - pz) * nz;
    if (above <= 0) return;
    const mirror = this.mirrorView.pose;
    mirror.fovyDeg = cam.fovyDeg;
    mirror.pos[0] = cam.pos[0]! - 2 * above * nx;
    mirror.pos[1] = cam.pos[1]! - 2 * above * ny;
    mirror.pos[2] = cam.pos[2]! - 2 * above * nz;
    for (let col = 0; col < 3; col++) {
      const ax = cam.rot[col]!, ay = cam.rot[3 + col]!, az = cam.rot[6 + col]!;
      const d = 2 * (ax * nx + ay * ny + az * nz);
      const sign = col === 0 ? -1 : 1;
      mirror.rot[col] = sign * (ax - d * nx);
      mirror.rot[3 + col] = sign * (ay - d * ny);
      mirror.rot[6 + col] = sign * (az - d * nz);
    }
    this.mirrorView.colourScale = this.modelArrays.get<Float32Array>('mat_reflectance')[this.modelArrays.get<Int32Array>('geom_matid')[g]!]!;
    this.mirrorView.mirrorPoint.set([px, py, pz]);
    this.view = this.mirrorView;
    this.drawView(frame, g, MAIN_PASS);
    this.drawView(frame, g, TRANSPARENT_PASS);
    this.view = main;
    // A box's pixels on its +z face are those whose depth is that of the face's plane along the pixel's ray:
    // ray (dx, dy, -1) in camera space meets the plane n.x = n.p at z-depth (n.p) / (n.(dx, dy, -1)).
    const R = cam.rot;
    const rx = px - cam.pos[0]!, ry = py - cam.pos[1]!, rz = pz - cam.pos[2]!;
    const ncx = R[0]! * nx + R[3]! * ny + R[6]! * nz, ncy = R[1]! * nx + R[4]! * ny + R[7]! * nz, ncz = R[2]! * nx + R[5]! * ny + R[8]! * nz;
    const nDotP = ncx * (R[0]! * rx + R[3]! * ry + R[6]! * rz) + ncy * (R[1]! * rx + R[4]! * ry + R[7]! * rz) + ncz * (R[2]! * rx + R[5]! * ry + R[8]! * rz);
    const focal = main.rasterizer.focalPx, centreX = main.rasterizer.centreX, centreY = main.rasterizer.centreY;
    const invDepth = main.rasterizer.invDepth;
    const rgb = main.rasterizer.rgb, mirrored = this.mirrorView.rasterizer.rgb;
    for (let j = 0; j < height; j++) {
      const dy = -(j + 0.5 - centreY) / focal;
      for (let i = 0; i < width; i++) {
        const idx = j * width + i;
        if (segment[idx] !== g) continue;
        if (isBox) {
          const dx = (i + 0.5 - centreX) / focal;
          const faceDepth = nDotP / (ncx * dx + ncy * dy - ncz);
          if (!(Math.abs(faceDepth * invDepth[idx]! - 1) < 1e-4)) continue;
        }
        const p = 3 * idx, q = 3 * (idx + width - 1 - 2 * i);
        // The clamped store saturates the sum at 255, as blending into an 8-bit framebuffer does.
        rgb[p] = rgb[p]! + mirrored[q]!;
        rgb[p + 1] = rgb[p + 1]! + mirrored[q + 1]!;
        rgb[p + 2] = rgb[p + 2]! + mirrored[q + 2]!;
      }
    }
  }

  /**
   * The geom that mirrors the scene, or -1. MuJoCo allows one: the first opaque plane or box whose material has
   * reflectance > 0, where a plane seen from behind counts as transparent.
   */
  private reflectiveGeom(cameraPos: Float64Array): number {
    const { model } = this.physics;
    const types = this.modelArrays.get<Int32Array>('geom_type');
    const matIds = this.modelArrays.get<Int32Array>('geom_matid');
    const groups = this.modelArrays.get<Int32Array>('geom_group');
    const rgba = this.modelArrays.get<Float32Array>('geom_rgba');
    const reflectance = this.modelArrays.get<Float32Array>('mat_reflectance');
    const xpos = this.dataArrays.get<Float64Array>('geom_xpos');
    const xmat = this.dataArrays.get<Float64Array>('geom_xmat');
    for (let g = 0; g < model.ngeom; g++) {
      const matId = matIds[g]!, group = groups[g]!, type = types[g]!;
      if (matId < 0 || !(reflectance[matId]! > 0) || (type !== GEOM_PLANE && type !== GEOM_BOX)) continue;
      if (!this.isVisibleGroup(group) || this.geomAlpha(g, rgba, matIds) < TRANSPARENT_BELOW) continue;
      if (type === GEOM_PLANE) {
        const above = (cameraPos[0]! - xpos[3 * g]!) * xmat[9 * g + 2]! + (cameraPos[1]! - xpos[3 * g + 1]!) * xmat[9 * g + 5]! + (cameraPos[2]! - xpos[3 * g + 2]!) * xmat[9 * g + 8]!;
        if (above < 0) continue;
      }
      return g;
    }
    return -1;
  }

  private texture(id: number): Texture {
    let texture = this.textures[id];
    if (!texture) {
      texture = decodeTexture(this.physics.model, id);
      this.textures[id] = texture;
    }
    return texture;
  }

  /**
   * Transforms, lights and draws one geom. Colour follows MuJoCo: the geom's rgba unless it is the default grey
   * (0.5, 0.5, 0.5, 1) and the geom has a material, in which case the material's rgba.
   */
  private drawGeom(g: number, type: number, mesh: GeomMesh, matId: number, rgbaAll: Float32Array, sizes: Float64Array, pass: number): void {
    const materials = this.materials;
    let baseR = rgbaAll[4 * g]!, baseG = rgbaAll[4 * g + 1]!, baseB = rgbaAll[4 * g + 2]!;
    let specular = 0.5, shininess = 0.5, emission = 0;
    let texture: Texture | null = null;
    let repeatU = 1, repeatV = 1, uniform = false;
    if (matId >= 0) {
      const isDefault = baseR === 0.5 && baseG === 0.5 && baseB === 0.5 && rgbaAll[4 * g + 3] === 1;
      if (isDefault) {
        const matRgba = materials.rgba;
        baseR = matRgba[4 * matId]!;
        baseG = matRgba[4 * matId + 1]!;
        baseB = matRgba[4 * matId + 2]!;
      }
      specular = materials.specular[matId]!;
      shininess = materials.shininess[matId]!;
      emission = materials.emission[matId]!;
      const texIds = materials.texId;
      let texId = texIds[TEXTURE_ROLES * matId + ROLE_RGB]!;
      if (texId < 0) texId = texIds[TEXTURE_ROLES * matId + ROLE_RGBA]!;
      if (texId >= 0 && materials.texType[texId] !== TEXTURE_SKYBOX) {
        texture = this.texture(texId);
        const repeat = materials.texRepeat;
        repeatU = repeat[2 * matId]!;
        repeatV = repeat[2 * matId + 1]!;
        uniform = this.texUniform[matId] === 1;
      }
    }
    const ras = this.view.rasterizer;
    ras.alpha = this.geomAlpha(g, rgbaAll, this.modelArrays.get<Int32Array>('geom_matid'));
    const count = mesh.vertexCount;
    ras.reserveVertices(count);
    // In the mirrored view the colour (not specular) is scaled by the mirror's reflectance, as MuJoCo does.
    const scale = this.view.colourScale;
    const surface: Surface = { r: baseR * scale, g: baseG * scale, b: baseB * scale, specular, shininess, emission };
    shadeVertices(ras, mesh, this.modelView, this.lights, surface, texture !== null, pass);
    ras.projectVertices(count);
    if (!texture) {
      ras.drawTriangles(mesh.indices, mesh.triangleCount, g, null, true);
      return;
    }
    const s0 = sizes[3 * g]!, s1 = sizes[3 * g + 1]!, s2 = sizes[3 * g + 2]!;
    if (texture.type === TEXTURE_2D) {
      // Round primitives span their radius in x and y (MuJoCo's scene sizes), not their half-length.
      const round = type === GEOM_SPHERE || type === GEOM_CAPSULE || type === GEOM_CYLINDER;
      this.mapPlanar(mesh, type, s0, round ? s0 : s1, repeatU, repeatV, uniform);
      ras.drawTriangles(mesh.indices, mesh.triangleCount, g, texture.image, true);
    } else {
      this.drawCubeMapped(mesh, g, texture, uniform ? 1 / (s0 || 1) : 1, uniform ? 1 / (s1 || s0 || 1) : 1, uniform ? 1 / (s2 || s0 || 1) : 1);
    }
  }

  /**
   * Planar texture coordinates for 2-D textures: mesh texcoords when the mesh has them, else the local x-y
   * position. With texuniform, `repeat` counts repetitions per 2 metres; otherwise repetitions across the geom.
   */
  private mapPlanar(mesh: GeomMesh, type: number, sx: number, sy: number, repeatU: number, repeatV: number, uniform: boolean): void {
    const { tu, tv } = this.view.rasterizer;
    const { positions, vertexCount, uvs } = mesh;
    if (uvs && type === GEOM_MESH) {
      for (let v = 0; v < vertexCount; v++) {
        tu[v] = uvs[2 * v]!;
        tv[v] = uvs[2 * v + 1]!;
      }
      return;
    }
    // Native MuJoCo's texgen: s = 0.5 scale x - 0.5, t = -0.5 scale y - 0.5 in the geom's frame. Uniform: one
    // texture image per 2 / repeat metres; otherwise `repeat` images across the geom's full width. Image rows
    // run towards -y, so a texture seen from above (x right, y up) is upright.
    const scaleU = uniform ? repeatU / 2 : repeatU / (2 * (sx || 1));
    const scaleV = uniform ? repeatV / 2 : repeatV / (2 * (sy || sx || 1));
    for (let v = 0; v < vertexCount; v++) {
      tu[v] = positions[3 * v]! * scaleU - 0.5;
      tv[v] = -positions[3 * v + 1]! * scaleV - 0.5;
    }
  }

  /**
   * Cube-mapped geoms: each triangle takes the cube face of its centroid's direction (local frame, scaled by
   * (kx, ky, kz)); triangles are drawn face by face with that face's projection, clamped to the face.
   */
  private drawCubeMapped(mesh: GeomMesh, g: number, texture: Texture, kx: number, ky: number, kz: number): void {
    const ras = this.view.rasterizer;
    const { positions, indices, triangleCount, vertexCount } = mesh;
    if (this.faceOfTriangle.length < triangleCount) {
      this.faceOfTriangle = new Uint8Array(triangleCount);
      this.faceIndices = new Uint32Array(triangleCount * 3);
    }
    const faceOf = this.faceOfTriangle, scratch = this.cubeScratch;
    for (let t = 0; t < triangleCount; t++) {
      let x = 0, y = 0, z = 0;
      for (let k = 0; k < 3; k++) {
        const p = 3 * indices[3 * t + k]!;
        x += positions[p]!;
        y += positions[p + 1]!;
        z += positions[p + 2]!;
      }
      cubeFaceCoords(x * kx, y * ky, z * kz, scratch);
      faceOf[t] = scratch[0]!;
    }
    const { tu, tv } = ras;
    for (let face = 0; face < 6; face++) {
      let n = 0;
      for (let t = 0; t < triangleCount; t++) {
        if (faceOf[t] !== face) continue;
        this.faceIndices[3 * n] = indices[3 * t]!;
        this.faceIndices[3 * n + 1] = indices[3 * t + 1]!;
        this.faceIndices[3 * n + 2] = indices[3 * t + 2]!;
        n++;
      }
      if (n === 0) continue;
      for (let v = 0; v < vertexCount; v++) {
        projectOntoCubeFace(face, positions[3 * v]! * kx, positions[3 * v + 1]! * ky, positions[3 * v + 2]! * kz, scratch);
        tu[v] = scratch[1]!;
        tv[v] = scratch[2]!;
      }
      const image: TextureImage = texture.faces[face]!;
      ras.drawTriangles(this.faceIndices, n, g, image, true);
    }
  }
}

/** Views of the model's material arrays ([nmat] or [nmat, k]) and texture types ([ntex]). */
interface MaterialArrays {
  rgba: Float32Array<ArrayBufferLike>;
  specular: Float32Array<ArrayBufferLike>;
  shininess: Float32Array<ArrayBufferLike>;
  emission: Float32Array<ArrayBufferLike>;
  texId: Int32Array<ArrayBufferLike>;
  texRepeat: Float32Array<ArrayBufferLike>;
  texType: Int32Array<ArrayBufferLike>;
}

/** Per-view state: its buffers, camera pose, skybox background, per-geom level-of-detail meshes, sample position. */
class ViewPass {
  readonly rasterizer = new Rasterizer();
  readonly pose: CameraPose = { pos: new Float64Array(3), rot: new Float64Array(9), fovyDeg: 45 };
  readonly sky = new SkyboxView();
  readonly lod = new GeomLodCache();
  /** Where in each pixel the current sample looks (see Rasterizer.setProjection). */
  sampleX = 0.5;
  sampleY = 0.5;
  /** Factor on every geom's colour: 1, or the mirror's reflectance in the mirrored view. */
  colourScale = 1;
  /** Mirrored view: a point on the mirror plane (world). */
  readonly mirrorPoint = new Float64Array(3);
  /** The frame being drawn: depth range, focal length (pixels) and half-angle tangents. */
  readonly frustum = { near: 0, far: 0, focal: 1, tanHalfX: 1, tanHalfY: 1 };
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function packColour(r: number, g: number, b: number): number {
  return (Math.round(clamp255(r)) << 16) | (Math.round(clamp255(g)) << 8) | Math.round(clamp255(b));
}
