/**
 * The scene system every task family builds on (one builder, one texture namespace, one material type, one
 * camera convention), split by concern:
 *   scene/xml.ts       MJCF elements and their writer
 *   scene/textures.ts  the texture set and skybox
 *   scene/patterns.ts, scene/texture_pools.ts   procedural textures and the two texture pools of the factors
 *   scene/distractor_pools.ts                   the two distractor identity pools
 *   scene/camera.ts    the camera convention and its maths
 *   scene/builder.ts   SceneBuilder and the SceneOptions it applies
 *   scene/runtime.ts   setters on a compiled model (textures, headlight, camera pose)
 */
export { el, formatNumber, renderXml, type AttributeValue, type XmlElement } from './scene/xml.js';
export { standardTextureSet, type BuiltinTextureSpec, type FileTextureSpec, type Rgb, type Rgba, type SkyboxSpec, type TextureKind, type TextureSpec } from './scene/textures.js';
export { TEXTURE_POOLS, TEXTURES_PER_POOL, poolOf, texturePool, texturePoolsDigest, type PoolTexture, type TexturePool } from './scene/texture_pools.js';
export { DISTRACTOR_POOLS, DISTRACTOR_POOL_SIZES, distractorIdentity, distractorPool, distractorPoolsDigest, type DistractorIdentity, type DistractorPool } from './scene/distractor_pools.js';
export { cameraFrame, type CameraMode, type CameraPose, type CameraSpec, type Quat, type Vec3 } from './scene/camera.js';
export {
  DISTRACTOR_SCALE_RANGE,
  OBJECT_SCALE_RANGE,
  SceneBuilder,
  sceneFiles,
  defaultClass,
  resolveObjectScale,
  type Headlight,
  type MaterialSpec,
  type SceneBuilderOptions,
} from './scene/builder.js';
export { materialTexture, poseCamera, setHeadlight, setMaterialTexture } from './scene/runtime.js';
