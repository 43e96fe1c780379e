/**
 * The reset-time part of a scene variant, applied to a compiled model without a rebuild: material textures (the
 * pools are compiled in), headlight, the orbit camera's pose and material colours. Every reset first puts each of
 * these model fields back to the value the model was compiled with, so nothing of one episode's variant leaks
 * into the next.
 */
import { Rng } from '../../util/rng.js';
import type { Physics } from '../mujoco.js';
import { objectId, perPhysics } from '../named.js';
import { poseCamera, setHeadlight, setMaterialTexture } from '../scene/runtime.js';
import type { FactorTargets, MaterialRole } from '../task.js';
import { streamSeed, type ColourValue, type FactorValues } from './factor_table.js';

const ROLE_FACTORS: readonly [MaterialRole, 'table-texture' | 'floor-texture' | 'object-texture' | 'background'][] = [
  ['table', 'table-texture'],
  ['floor', 'floor-texture'],
  ['object', 'object-texture'],
  ['background', 'background'],
];

/** The compiled model's own values of every field a variant may change. */
class CompiledLook {
  readonly texIds: Int32Array;
  readonly rgba: Float32Array;
  readonly headlight: { ambient: number[]; diffuse: number[] };
  /** Per material: the mean colour of its texture (white when it has none), which colour offsets act on. */
  private readonly baseColour = new Map<number, [number, number, number]>();
  readonly camera: { id: number; pos: number[]; quat: number[] } | null;

  constructor(
    readonly physics: Physics,
    targets: FactorTargets | undefined,
  ) {
    const { model } = physics;
    this.texIds = (model.mat_texid as Int32Array).slice();
    this.rgba = (model.mat_rgba as Float32Array).slice();
    const vis = model.vis;
    const head = vis.headlight;
    this.headlight = { ambient: Array.from(head.ambient as Float32Array), diffuse: Array.from(head.diffuse as Float32Array) };
    head.delete();
    vis.delete();
    const orbit = targets?.orbit;
    if (orbit) {
      const id = objectId(physics, 'camera', orbit.camera);
      this.camera = { id, pos: Array.from((model.cam_pos as Float64Array).subarray(3 * id, 3 * id + 3)), quat: Array.from((model.cam_quat as Float64Array).subarray(4 * id, 4 * id + 4)) };
    } else this.camera = null;
  }

  restore(): void {
    const { model } = this.physics;
    (model.mat_texid as Int32Array).set(this.texIds);
    (model.mat_rgba as Float32Array).set(this.rgba);
    const vis = model.vis;
    const head = vis.headlight;
    (head.ambient as Float32Array).set(this.headlight.ambient);
    (head.diffuse as Float32Array).set(this.headlight.diffuse);
    head.delete();
    vis.delete();
    if (this.camera) {
      (model.cam_pos as Float64Array).set(this.camera.pos, 3 * this.camera.id);
      (model.cam_quat as Float64Array).set(this.camera.quat, 4 * this.camera.id);
    }
  }

  /** Mean RGB (0-1) of the material's compiled RGB texture. */
  textureColour(material: number): [number, number, number] {
    let colour = this.baseColour.get(material);
    if (!colour) {
      colour = meanTextureColour(this.physics, this.texIds, material);
      this.baseColour.set(material, colour);
    }
    return colour;
  }
}

function meanTextureColour(physics: Physics, texIds: Int32Array, material: number): [number, number, number] {
  const { mj, model } = physics;
  const roles = mj.mjtTextureRole;
  const tex = texIds[material * roles.mjNTEXROLE.value + roles.mjTEXROLE_RGB.value]!;
  if (tex < 0) return [1, 1, 1];
  const w = model.tex_width[tex] as number, h = model.tex_height[tex] as number, channels = model.tex_nchannel[tex] as number;
  const start = model.tex_adr[tex] as number;
  const data = (model.tex_data as Uint8Array).subarray(start, start + w * h * channels);
  const sum = [0, 0, 0];
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) sum[c] += data[i * channels + Math.min(c, channels - 1)]!;
  return sum.map((s) => s / (w * h * 255)) as [number, number, number];
}

const looks = new WeakMap<Physics, CompiledLook>();

/** Looked up once per compiled physics: its own values, recorded before any variant touches them. */
function compiledLook(physics: Physics, targets: FactorTargets | undefined): CompiledLook {
  let look = looks.get(physics);
  if (!look) looks.set(physics, (look = new CompiledLook(physics, targets)));
  return look;
}

/** Memoised material ids per physics and name. */
const materialIds = perPhysics((physics) => {
  const ids = new Map<string, number>();
  return (name: string): number => {
    let id = ids.get(name);
    if (id === undefined) ids.set(name, (id = objectId(physics, 'material', name)));
    return id;
  };
});

/**
 * Per-channel colour offsets of one material: grade 0.1 draws U(-0.1, 0.1); grades 0.2 and 0.3 draw magnitudes in
 * (0.1, grade] with a random sign, so out-of-range shifts never fall inside the training range.
 */
export function colourOffsets(value: ColourValue, materialIndex: number): [number, number, number] {
  const rng = new Rng(streamSeed('colour offsets', value.seed, materialIndex));
  return [0, 1, 2].map(() => {
    if (value.grade <= 0.1) return rng.uniform(-value.grade, value.grade);
    const magnitude = rng.uniform(0.1, value.grade);
    return rng.random() < 0.5 ? -magnitude : magnitude;
  }) as [number, number, number];
}

/** Puts the compiled look back, then applies the reset-time factor values. Call before mj_forward. */
export function applyLook(physics: Physics, targets: FactorTargets | undefined, values: FactorValues): void {
  const look = compiledLook(physics, targets);
  look.restore();
  if (!targets) return;
  if (values.light !== undefined) setHeadlight(physics, values.light);
  for (const [role, factor] of ROLE_FACTORS) {
    const texture = values[factor];
    if (texture !== undefined) setMaterialTexture(physics, targets.materials[role]!, texture);
  }
  if (values.camera && targets.orbit) {
    const { azimuth, inclination, radius } = values.camera;
    poseCamera(physics, targets.orbit.camera, targets.orbit.lookAt, { azimuth, elevation: 90 - inclination, distance: radius });
  }
  if (values.colour) {
    const rgba = physics.model.mat_rgba as Float32Array;
    (targets.colourMaterials ?? []).forEach((name, i) => {
      const id = materialIds(physics)(name);
      const base = look.textureColour(id);
      const offsets = colourOffsets(values.colour!, i);
      // The renderer multiplies the texture by the material colour: scale each channel so the texture's mean
      // colour moves by the offset (exact for the flat textures DMC bodies use).
      for (let c = 0; c < 3; c++) {
        const b = Math.max(base[c]!, 1 / 255);
        const target = Math.min(1, Math.max(0, b + offsets[c]!));
        rgba[4 * id + c] = look.rgba[4 * id + c]! * (target / b);
      }
    });
  }
}
