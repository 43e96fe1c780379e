/**
 * A small typed MJCF builder, the one way every task family writes its scene. Factor-World-style visual factors
 * are parameters of the built scene instead of rewrites of its XML:
 *   - every texture of the texture set is compiled into the model, and each named material (table, floor,
 *     object, ...) picks one of them, so a sweep can also swap a material's texture at reset (runtime.ts);
 *   - cameras are posed by the one camera convention (camera.ts), so the main camera can be re-posed
 *     (`SceneOptions.camera` at build time, `poseCamera` at run time);
 *   - the headlight and extra static bodies (distractors) are options of `build`.
 * Object scale is read by the task's own object builder through `resolveObjectScale`, since only the task knows
 * which geoms make up its manipulated object.
 *
 * Tasks add bodies with `world()`, `<default>` classes with `defaults()` (nest `defaultClass(...)` elements for
 * named classes), and constraints, actuators, sensors, tendons and contact rules with the methods of those names.
 */
import type { DistractorPlacement, SceneOptions } from '../task.js';
import { cameraFrame, validateCameraPose, type CameraPose, type CameraSpec } from './camera.js';
import { isFiniteNumber, validateUnitVector } from './checks.js';
import { distractorIdentity } from './distractor_pools.js';
import { poolOf, poolTextureFiles, poolTextureSpecs } from './texture_pools.js';
import { skyboxElement, standardTextureSet, textureElement, type Rgba, type SkyboxSpec, type TextureSpec } from './textures.js';
import { el, insertIntoBody, renderXml, type AttributeValue, type XmlElement } from './xml.js';

const SCENE_OPTION_KEYS = new Set(['camera', 'light', 'textures', 'objectScale', 'texturePools', 'distractors']);
export const OBJECT_SCALE_RANGE: readonly [number, number] = [0.25, 4];
/** Distractor scales the builder accepts (the factor draws 0.3-0.8, its out-of-range split up to 1.1). */
export const DISTRACTOR_SCALE_RANGE: readonly [number, number] = [0.1, 2];

/** The files (by name) a scene built with `options` reads from MuJoCo's virtual file system: the pool textures. */
export function sceneFiles(options: SceneOptions | undefined): ReadonlyMap<string, Uint8Array> {
  return options?.texturePools ? poolTextureFiles() : new Map();
}

/** The object scale asked for (1 by default); throws on values outside `OBJECT_SCALE_RANGE`. */
export function resolveObjectScale(options: SceneOptions | undefined): number {
  const scale = options?.objectScale ?? 1;
  if (!isFiniteNumber(scale) || scale < OBJECT_SCALE_RANGE[0] || scale > OBJECT_SCALE_RANGE[1]) {
    throw new Error(`scene option objectScale must be a number in [${OBJECT_SCALE_RANGE.join(', ')}], got ${scale}`);
  }
  return scale;
}

/** A named `<default>` class holding `elements` (and nested classes), for `SceneBuilder.defaults`. */
export function defaultClass(name: string, ...elements: XmlElement[]): XmlElement {
  return el('default', { class: name }, elements);
}

export interface MaterialSpec {
  /** Texture name from the builder's texture set; none for a plain `rgba` material. */
  texture?: string;
  /** Texture repetitions per metre (with texuniform) or per face. */
  texrepeat?: [number, number];
  texuniform?: boolean;
  rgba?: Rgba;
  specular?: number;
  shininess?: number;
  reflectance?: number;
}

export interface SceneBuilderOptions {
  /** Physics timestep, seconds. */
  timestep: number;
  /** Textures compiled into the model; `standardTextureSet()` by default. */
  textures?: TextureSpec[];
  /** Extra attributes of <option> (e.g. integrator, cone, iterations). */
  option?: Record<string, AttributeValue>;
  /** Attributes of <option><flag/> (e.g. { contact: 'disable' }). */
  flags?: Record<string, 'enable' | 'disable'>;
  /** Attributes of <compiler> (e.g. angle, autolimits, settotalmass). */
  compiler?: Record<string, AttributeValue>;
}

export interface Headlight {
  ambient: number;
  diffuse: number;
  /** Default 0.1. */
  specular?: number;
}

/**
 * Collects the parts of an MJCF scene and writes it with `build(options)`; materials and cameras are declared
 * through typed methods so that `SceneOptions` can address them by name.
 */
export class SceneBuilder {
  private readonly textures: TextureSpec[];
  private readonly textureNames: Set<string>;
  private readonly materials = new Map<string, MaterialSpec>();
  private readonly cameras: CameraSpec[] = [];
  private mainCamera: string | null = null;
  private headlight: Required<Headlight> = { ambient: 0.4, diffuse: 0.6, specular: 0.1 };
  private sky: SkyboxSpec | null = null;
  private readonly visualElements: XmlElement[] = [];
  private readonly assetElements: XmlElement[] = [];
  private readonly worldElements: XmlElement[] = [];
  private readonly equalities: XmlElement[] = [];
  private readonly actuators: XmlElement[] = [];
  private readonly sensors: XmlElement[] = [];
  private readonly tendons: XmlElement[] = [];
  private readonly contacts: XmlElement[] = [];
  private readonly defaultElements: XmlElement[] = [];

  constructor(
    readonly modelName: string,
    private readonly options: SceneBuilderOptions,
  ) {
    if (!isFiniteNumber(options.timestep) || options.timestep <= 0) {
      throw new Error(`scene '${modelName}': timestep must be a positive number of seconds, got ${options.timestep}`);
    }
    this.textures = options.textures ?? standardTextureSet();
    this.textureNames = new Set();
    for (const t of this.textures) {
      if (this.textureNames.has(t.name)) throw new Error(`scene '${modelName}': texture '${t.name}' is defined twice`);
      this.textureNames.add(t.name);
    }
  }

  /** Names of the 2-D textures compiled into the model, in order. */
  get textureSet(): string[] {
    return this.textures.map((t) => t.name);
  }

  get materialNames(): string[] {
    return [...this.materials.keys()];
  }

  material(name: string, spec: MaterialSpec): this {
    if (this.materials.has(name)) throw new Error(`scene '${this.modelName}': material '${name}' is defined twice`);
    if (spec.texture !== undefined) this.checkTexture(`material '${name}'`, spec.texture);
    this.materials.set(name, spec);
    return this;
  }

  /**
   * Adds a camera (see camera.ts for the convention; a `body` camera is written into that body). The first camera
   * added with `main` is the one `SceneOptions.camera` re-poses.
   */
  camera(spec: CameraSpec, { main = false }: { main?: boolean } = {}): this {
    if (this.cameras.some((c) => c.name === spec.name)) throw new Error(`scene '${this.modelName}': camera '${spec.name}' is defined twice`);
    validateCameraPose(`camera '${spec.name}'`, spec);
    if (!isFiniteNumber(spec.fovy) || spec.fovy <= 0 || spec.fovy >= 180) {
      throw new Error(`camera '${spec.name}': fovy must be in (0, 180) degrees, got ${spec.fovy}`);
    }
    const targeting = spec.mode === 'targetbody' || spec.mode === 'targetbodycom';
    if (targeting !== (spec.target !== undefined)) {
      throw new Error(`camera '${spec.name}': a target body goes with modes targetbody / targetbodycom only (mode ${spec.mode ?? 'fixed'}, target ${spec.target ?? 'none'})`);
    }
    this.cameras.push(spec);
    if (main && this.mainCamera === null) this.mainCamera = spec.name;
    return this;
  }

  setHeadlight(headlight: Headlight): this {
    validateUnitVector('headlight', [headlight.ambient, headlight.diffuse, headlight.specular ?? 0.1], 3);
    this.headlight = { specular: 0.1, ...headlight };
    return this;
  }

  /** A skybox texture drawn behind the scene. */
  skybox(spec: SkyboxSpec): this {
    this.sky = { ...spec };
    return this;
  }

  /** Extra children of <visual> (e.g. <quality>, <map>); the headlight has its own setter. */
  visual(...elements: XmlElement[]): this {
    this.visualElements.push(...elements);
    return this;
  }

  /** Extra assets (meshes, height fields); textures and materials have their own methods. */
  asset(...elements: XmlElement[]): this {
    this.assetElements.push(...elements);
    return this;
  }

  world(...elements: XmlElement[]): this {
    this.worldElements.push(...elements);
    return this;
  }

  equality(...elements: XmlElement[]): this {
    this.equalities.push(...elements);
    return this;
  }

  actuator(...elements: XmlElement[]): this {
    this.actuators.push(...elements);
    return this;
  }

  sensor(...elements: XmlElement[]): this {
    this.sensors.push(...elements);
    return this;
  }

  tendon(...elements: XmlElement[]): this {
    this.tendons.push(...elements);
    return this;
  }

  /** Elements of the top-level <default> class (e.g. geom solref for every contact); `defaultClass` nests classes. */
  defaults(...elements: XmlElement[]): this {
    this.defaultElements.push(...elements);
    return this;
  }

  contact(...elements: XmlElement[]): this {
    this.contacts.push(...elements);
    return this;
  }

  /** The MJCF text of the scene with the given visual options applied. The builder itself is not modified. */
  build(options: SceneOptions = {}): string {
    this.validateOptions(options);
    const headlight = options.light !== undefined ? { ...this.headlight, ambient: options.light, diffuse: options.light } : this.headlight;
    const textures = options.texturePools ? [...this.textures, ...poolTextureSpecs()] : this.textures;
    const assets: XmlElement[] = [...(this.sky ? [skyboxElement(this.sky)] : []), ...textures.map(textureElement)];
    for (const [name, spec] of this.materials) {
      assets.push(
        el('material', {
          name,
          texture: options.textures?.[name] ?? spec.texture,
          texrepeat: spec.texrepeat,
          texuniform: spec.texuniform,
          rgba: spec.rgba,
          specular: spec.specular,
          shininess: spec.shininess,
          reflectance: spec.reflectance,
        }),
      );
    }
    assets.push(...this.assetElements);
    let world = [...this.worldElements];
    (options.distractors ?? []).forEach((d, i) => {
      const { body, meshes } = distractorElements(d, i);
      assets.push(...meshes);
      if (d.body === undefined) world.push(body);
      else {
        const placed = insertIntoBody(world, d.body, body);
        if (!placed) throw new Error(`scene option distractors[${i}].body: scene '${this.modelName}' has no body '${d.body}'`);
        world = placed;
      }
    });
    const worldCameras: XmlElement[] = [];
    for (const c of this.cameras) {
      const camera = this.cameraElement(c, options.camera && c.name === this.mainCamera ? options.camera : c);
      if (c.body === undefined) {
        worldCameras.push(camera);
        continue;
      }
      const placed = insertIntoBody(world, c.body, camera);
      if (!placed) throw new Error(`scene '${this.modelName}': camera '${c.name}' is attached to body '${c.body}', which the scene does not have`);
      world = placed;
    }
    const { ambient, diffuse, specular } = headlight;
    const option = el('option', { timestep: this.options.timestep, ...this.options.option }, this.options.flags ? [el('flag', this.options.flags)] : []);
    const root = el('mujoco', { model: this.modelName }, [
      ...(this.options.compiler ? [el('compiler', this.options.compiler)] : []),
      option,
      el('visual', {}, [el('headlight', { ambient: [ambient, ambient, ambient], diffuse: [diffuse, diffuse, diffuse], specular: [specular, specular, specular] }), ...this.visualElements]),
      ...(this.defaultElements.length ? [el('default', {}, this.defaultElements)] : []),
      el('asset', {}, assets),
      el('worldbody', {}, [...worldCameras, ...world]),
    ]);
    const sections: [string, XmlElement[]][] = [
      ['contact', this.contacts],
      ['equality', this.equalities],
      ['tendon', this.tendons],
      ['actuator', this.actuators],
      ['sensor', this.sensors],
    ];
    for (const [tag, elements] of sections) if (elements.length) root.children.push(el(tag, {}, elements));
    return renderXml(root) + '\n';
  }

  private cameraElement(spec: CameraSpec, pose: CameraPose): XmlElement {
    const frame = cameraFrame(spec.lookAt, pose);
    return el('camera', {
      name: spec.name,
      mode: spec.mode,
      target: spec.target,
      pos: frame.pos,
      xyaxes: [...frame.xaxis, ...frame.yaxis],
      fovy: spec.fovy,
    });
  }

  private checkTexture(what: string, texture: string): void {
    if (!this.textureNames.has(texture)) {
      const some = this.textureSet.slice(0, 6).join(', ');
      throw new Error(`${what}: unknown texture '${texture}'; the scene has ${this.textures.length} textures (e.g. ${some}, ...)`);
    }
  }

  private validateOptions(options: SceneOptions): void {
    if (!options || typeof options !== 'object') throw new Error(`scene options must be an object, got ${String(options)}`);
    for (const key of Object.keys(options)) {
      if (!SCENE_OPTION_KEYS.has(key)) {
        throw new Error(`unknown scene option '${key}'; expected one of ${[...SCENE_OPTION_KEYS].join(', ')}`);
      }
    }
    if (options.camera !== undefined) {
      if (this.mainCamera === null) throw new Error(`scene '${this.modelName}' has no main camera to re-pose`);
      validateCameraPose('scene option camera', options.camera);
    }
    if (options.light !== undefined && (!isFiniteNumber(options.light) || options.light < 0 || options.light > 1)) {
      throw new Error(`scene option light must be a number in [0, 1], got ${options.light}`);
    }
    for (const [material, texture] of Object.entries(options.textures ?? {})) {
      if (!this.materials.has(material)) {
        throw new Error(`scene option textures: unknown material '${material}'; materials: ${this.materialNames.join(', ')}`);
      }
      if (!(options.texturePools && poolOf(texture))) this.checkTexture(`scene option textures.${material}`, texture);
    }
    resolveObjectScale(options);
    if (options.texturePools !== undefined && typeof options.texturePools !== 'boolean') {
      throw new Error(`scene option texturePools must be true or false, got ${String(options.texturePools)}`);
    }
    const distractors = options.distractors ?? [];
    if (!Array.isArray(distractors)) throw new Error(`scene option distractors must be an array, got ${typeof distractors}`);
    distractors.forEach((d, i) => {
      const what = `scene option distractors[${i}]`;
      distractorIdentity(d.identity);
      if (!Array.isArray(d.pos) || d.pos.length !== 3 || !d.pos.every(isFiniteNumber)) {
        throw new Error(`${what}.pos must be 3 finite numbers, got ${JSON.stringify(d.pos)}`);
      }
      if (!isFiniteNumber(d.yaw)) throw new Error(`${what}.yaw must be a finite number of degrees, got ${d.yaw}`);
      const [lo, hi] = DISTRACTOR_SCALE_RANGE;
      if (!isFiniteNumber(d.scale) || d.scale < lo || d.scale > hi) throw new Error(`${what}.scale must be in [${lo}, ${hi}], got ${d.scale}`);
    });
  }
}

/**
 * A distractor's body (its parts as visual-only geoms, scaled, turned by its yaw) and the mesh assets of its mesh
 * parts. Nothing collides with it (contype and conaffinity 0), so it changes what the camera sees, not the physics.
 */
function distractorElements(d: DistractorPlacement, index: number): { body: XmlElement; meshes: XmlElement[] } {
  const { parts } = distractorIdentity(d.identity);
  const yaw = (d.yaw * Math.PI) / 180;
  const meshes: XmlElement[] = [];
  const geoms = parts.map((p, j) => {
    const name = `distractor${index}_${j}`;
    if (p.type === 'mesh') meshes.push(el('mesh', { name, vertex: p.vertices!, scale: [d.scale, d.scale, d.scale] }));
    return el('geom', {
      name,
      type: p.type,
      ...(p.type === 'mesh' ? { mesh: name } : { size: p.size.map((v) => v * d.scale) }),
      pos: p.pos.map((v) => v * d.scale),
      quat: p.quat,
      rgba: p.rgba,
      contype: 0,
      conaffinity: 0,
      group: 1,
    });
  });
  const body = el('body', { name: `distractor${index}`, pos: d.pos, quat: [Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)] }, geoms);
  return { body, meshes };
}
