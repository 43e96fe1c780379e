/**
 * Helpers for the benchmarks that compare against native MuJoCo (Debian's MuJoCo 2.2 through Mesa's EGL, built
 * by the anchors' `build.sh`): an exported MJCF copy that MuJoCo 2.2 loads, the state file `mjcheck` reads, and
 * binary PPM decoding. None of this is used by the harness itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { compilePhysics, type Physics } from '../src/envs/mujoco.js';

/** MuJoCo 2.2's render context holds this many textures; a model with more loses the first ones (untextured). */
const MUJOCO22_MAX_TEXTURES = 100;

/**
 * A copy of `mjcf` that MuJoCo 2.2 compiles to the same drawn scene: `autolimits` spelled out (a 3.x default),
 * no `gravcomp` (3.x only), `implicit` for `implicitfast`, and, past 2.2's 100 render textures, the 2-D textures
 * no material references dropped. `changes` lists what was done. Only the exported copy changes.
 */
export function mjcfForMujoco22(mjcf: string): { xml: string; changes: string[] } {
  const changes: string[] = [];
  let xml = mjcf;
  if (!/<compiler[^>]*autolimits=/.test(xml)) {
    xml = /<compiler\b/.test(xml)
      ? xml.replace(/<compiler\b/, '<compiler autolimits="true"')
      : xml.replace(/<mujoco([^>]*)>/, '<mujoco$1>\n  <compiler autolimits="true"/>');
    changes.push('autolimits="true" spelled out');
  }
  const gravcomp = xml.match(/\sgravcomp="[^"]*"/g)?.length ?? 0;
  if (gravcomp > 0) {
    xml = xml.replace(/\sgravcomp="[^"]*"/g, '');
    changes.push(`${gravcomp} gravcomp attributes removed`);
  }
  if (/integrator="implicitfast"/.test(xml)) {
    xml = xml.replace(/integrator="implicitfast"/g, 'integrator="implicit"');
    changes.push('implicitfast -> implicit');
  }
  const textures = [...xml.matchAll(/<texture\b[^>]*>/g)].map((m) => m[0]);
  if (textures.length > MUJOCO22_MAX_TEXTURES) {
    const used = new Set([...xml.matchAll(/<material\b[^>]*\btexture="([^"]+)"/g)].map((m) => m[1]!));
    let dropped = 0;
    xml = xml.replace(/[ \t]*<texture\b[^>]*>\n?/g, (element) => {
      const name = /\bname="([^"]+)"/.exec(element)?.[1];
      const is2d = !/\btype="(skybox|cube)"/.test(element);
      if (is2d && name !== undefined && !used.has(name)) {
        dropped++;
        return '';
      }
      return element;
    });
    changes.push(`${dropped} unreferenced 2-D textures dropped (MuJoCo 2.2 renders at most ${MUJOCO22_MAX_TEXTURES})`);
  }
  return { xml, changes };
}

/** Model fields the renderer reads that `mjcheck` cannot set; a task that changes them at reset cannot be compared. */
const FIXED_MODEL_FIELDS = [
  'body_quat', 'geom_pos', 'geom_quat', 'geom_size', 'geom_rgba', 'geom_matid', 'geom_group', 'mat_rgba', 'mat_texid',
  'mat_texrepeat', 'mat_reflectance', 'cam_pos', 'cam_quat', 'cam_fovy', 'light_pos', 'light_dir', 'light_diffuse',
] as const;

/**
 * The `mjcheck` state file for `physics`: qpos, mocap poses, and `body NAME x y z` for every body whose position
 * differs from the freshly compiled `mjcf` (tasks that move fixtures by writing body_pos at reset). Throws when the
 * task changed another model field the renderer reads, or moved an unnamed body.
 */
export async function mjcheckState(physics: Physics, mjcf: string): Promise<string> {
  const { mj, model, data } = physics;
  const fresh = await compilePhysics('fresh copy', mjcf);
  try {
    const changed = FIXED_MODEL_FIELDS.filter((field) => !sameValues(model[field] as ArrayLike<number>, fresh.model[field] as ArrayLike<number>));
    if (changed.length > 0) throw new Error(`the task changes model fields at reset that mjcheck cannot set: ${changed.join(', ')}`);
    const lines = [
      `qpos ${model.nq} ${numbers(data.qpos as Float64Array)}`,
      `mocap_pos ${3 * model.nmocap} ${numbers(data.mocap_pos as Float64Array)}`,
      `mocap_quat ${4 * model.nmocap} ${numbers(data.mocap_quat as Float64Array)}`,
    ];
    const pos = model.body_pos as Float64Array, freshPos = fresh.model.body_pos as Float64Array;
    for (let b = 0; b < model.nbody; b++) {
      const p = pos.subarray(3 * b, 3 * b + 3);
      if (sameValues(p, freshPos.subarray(3 * b, 3 * b + 3))) continue;
      const name = mj.mj_id2name(model, mj.mjtObj.mjOBJ_BODY.value, b);
      if (!name) throw new Error(`the task moves body ${b}, which has no name for mjcheck to set it by`);
      lines.push(`body ${name} ${numbers(p)}`);
    }
    return `${lines.join('\n')}\n`;
  } finally {
    fresh.dispose();
  }
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function numbers(values: ArrayLike<number>): string {
  return Array.from(values, (v) => v.toPrecision(17)).join(' ');
}

/** Decodes a binary PPM (P6, maxval 255) into [H, W, 3] RGB, top row first. */
export function readPpm(path: string): { width: number; height: number; rgb: Uint8Array } {
  const bytes = readFileSync(path);
  // Header: "P6", width, height, maxval, separated by whitespace, then exactly one whitespace byte.
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4) {
    while (i < bytes.length && /\s/.test(String.fromCharCode(bytes[i]!))) i++;
    let token = '';
    while (i < bytes.length && !/\s/.test(String.fromCharCode(bytes[i]!))) token += String.fromCharCode(bytes[i++]!);
    if (token === '') throw new Error(`${path}: truncated PPM header`);
    fields.push(token);
  }
  const [magic, w, h, maxval] = fields;
  const width = Number(w), height = Number(h);
  if (magic !== 'P6' || maxval !== '255' || !(width > 0) || !(height > 0)) {
    throw new Error(`${path}: expected a binary 8-bit PPM (P6 ... 255), got header '${fields.join(' ')}'`);
  }
  const start = i + 1;
  const size = width * height * 3;
  if (bytes.length < start + size) throw new Error(`${path}: expected ${size} pixel bytes, got ${bytes.length - start}`);
  return { width, height, rgb: new Uint8Array(bytes.subarray(start, start + size)) };
}

/**
 * The native tool named by environment variable `variable`, or null after printing how to build it. The anchors'
 * build.sh installs Debian's libmujoco-dev and Mesa's EGL and builds mjnative; mjcheck builds the same way.
 */
export function nativeTool(variable: 'MJNATIVE' | 'MJCHECK'): string | null {
  const path = process.env[variable];
  const tool = variable.toLowerCase();
  const how =
    `build it from the anchors' mujoco-native folder (build.sh installs libmujoco-dev and Mesa's EGL; then ` +
    `gcc -O2 -o ${tool} ${tool}.c -lmujoco -lEGL -lGL -lm) and set ${variable}=path/to/${tool}`;
  if (!path) {
    console.log(`${variable} is not set: native MuJoCo's ${tool} is needed; ${how}`);
    return null;
  }
  if (!existsSync(path)) {
    console.log(`${variable}=${path} does not exist; ${how}`);
    return null;
  }
  return path;
}
