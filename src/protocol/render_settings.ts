/**
 * How a task's frames are rendered in a run. One value serves the demo features, the entropy probe and the
 * evaluation rollouts, so the policy is always trained and tested on the same picture.
 */
export interface RenderSettings {
  /** Side of the square frame in pixels (the encoder then applies its own preprocessing). */
  imageSize: number;
  /** Camera name in the task's scene. */
  camera: string;
}
