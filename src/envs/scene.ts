/**
 * The scene system every task family builds on (one builder, one texture namespace, one material type, one
 * camera convention), split by concern:
 *   scene/xml.ts       MJCF elements and their writer
 *   scene/textures.ts  the texture set and skybox
 *   scene/camera.ts    the camera convention and its maths
 *   scene/builder.ts   SceneBuilder and the SceneOptions it applies
 *   scene/runtime.ts   setters on a compiled model (textures, headlight, camera pose)
 */
export { el, formatNumber, renderXml, type AttributeValue, type XmlElement } from './scene/xml.js';
export { standardTextureSet, type Rgb, type Rgba, type SkyboxSpec, type TextureKind, type TextureSpec } from './scene/textures.js';
export { cameraFrame, type CameraMode, type CameraPose, type CameraSpec, type Quat, type Vec3 } from './scene/camera.js';
export {
  OBJECT_SCALE_RANGE,
  SceneBuilder,
  defaultClass,
  resolveObjectScale,
  type Headlight,
  type MaterialSpec,
  type SceneBuilderOptions,
} from './scene/builder.js';
export { materialTexture, poseCamera, setHeadlight, setMaterialTexture } from './scene/runtime.js';
