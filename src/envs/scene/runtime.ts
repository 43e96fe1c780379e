/** Run-time changes of a compiled model (no rebuild): what a factor sweep does at reset. */
import type { Physics } from '../mujoco.js';
import { objectId } from '../named.js';
import { cameraFrame, type CameraPose, type Vec3 } from './camera.js';
import { isFiniteNumber } from './checks.js';

function rgbSlot(physics: Physics, materialId: number): number {
  const roles = physics.mj.mjtTextureRole;
  return materialId * roles.mjNTEXROLE.value + roles.mjTEXROLE_RGB.value;
}

/** Points a material's RGB texture slot at another texture of the compiled texture set. */
export function setMaterialTexture(physics: Physics, material: string, texture: string): void {
  const slot = rgbSlot(physics, objectId(physics, 'material', material));
  (physics.model.mat_texid as Int32Array)[slot] = objectId(physics, 'texture', texture);
}

/** The texture name in a material's RGB slot, or null when it has none. */
export function materialTexture(physics: Physics, material: string): string | null {
  const { mj, model } = physics;
  const texId = (model.mat_texid as Int32Array)[rgbSlot(physics, objectId(physics, 'material', material))]!;
  return texId < 0 ? null : mj.mj_id2name(model, mj.mjtObj.mjOBJ_TEXTURE.value, texId);
}

/** Sets headlight ambient = diffuse = `value` (grey), as Factor-World's lighting factor does. */
export function setHeadlight(physics: Physics, value: number): void {
  if (!isFiniteNumber(value) || value < 0 || value > 1) throw new Error(`headlight value must be in [0, 1], got ${value}`);
  const vis = physics.model.vis;
  const headlight = vis.headlight;
  for (let i = 0; i < 3; i++) {
    (headlight.ambient as Float32Array)[i] = value;
    (headlight.diffuse as Float32Array)[i] = value;
  }
  // Embind handles to nested structs must be released explicitly.
  headlight.delete();
  vis.delete();
}

/** Re-poses a camera fixed to the world body around `lookAt` (takes effect at the next mj_forward). */
export function poseCamera(physics: Physics, camera: string, lookAt: Vec3, pose: CameraPose): void {
  const { model } = physics;
  const id = objectId(physics, 'camera', camera);
  if ((model.cam_bodyid as Int32Array)[id] !== 0) throw new Error(`camera '${camera}' is attached to a moving body; only world cameras can be re-posed`);
  const frame = cameraFrame(lookAt, pose);
  (model.cam_pos as Float64Array).set(frame.pos, 3 * id);
  (model.cam_quat as Float64Array).set(frame.quat, 4 * id);
}
