/**
 * The skybox background: per pixel, the skybox texel along the camera ray. It depends only on the camera's
 * rotation, field of view and image size (not its position), so it is cached while those stay the same, which is
 * every frame for fixed and tracking cameras.
 */
import { sampleSkybox, TEXTURE_FILTERS, type Texture, type TextureFilter } from './texture.js';

export class SkyboxView {
  /** [H, W, 3] skybox colours. */
  private image = new Uint8Array(0);
  /**
   * What `image` was drawn for: width, height, focal length, principal point (x, y), texture filter, then the 9
   * rotation entries (NaN = nothing yet).
   */
  private readonly key = new Float64Array(15).fill(NaN);
  private readonly scratch = new Float64Array(3);
  private readonly colour = new Float64Array(3);

  /**
   * The background for camera rotation `rot` (row-major camera-to-world), focal length `focal` in pixels and
   * principal point (centreX, centreY) (pixel (i, j) looks through (i + 0.5, j + 0.5)), sampled with `filter`.
   */
  draw(sky: Texture, rot: Float64Array, width: number, height: number, focal: number, centreX: number, centreY: number, filter: TextureFilter): Uint8Array {
    const R = rot;
    const key = this.key;
    const filterId = TEXTURE_FILTERS.indexOf(filter);
    let same = key[0] === width && key[1] === height && key[2] === focal && key[3] === centreX && key[4] === centreY && key[5] === filterId;
    for (let k = 0; k < 9 && same; k++) same = key[6 + k] === R[k];
    if (same) return this.image;
    if (this.image.length !== width * height * 3) this.image = new Uint8Array(width * height * 3);
    const image = this.image, scratch = this.scratch, colour = this.colour;
    for (let j = 0; j < height; j++) {
      const dyc = -(j + 0.5 - centreY) / focal;
      for (let i = 0; i < width; i++) {
        const dxc = (i + 0.5 - centreX) / focal;
        // Camera ray (dxc, dyc, -1) in world coordinates.
        const x = R[0]! * dxc + R[1]! * dyc - R[2]!;
        const y = R[3]! * dxc + R[4]! * dyc - R[5]!;
        const z = R[6]! * dxc + R[7]! * dyc - R[8]!;
        sampleSkybox(sky, x, y, z, filter, scratch, colour);
        const p = 3 * (j * width + i);
        image[p] = Math.round(colour[0]!);
        image[p + 1] = Math.round(colour[1]!);
        image[p + 2] = Math.round(colour[2]!);
      }
    }
    key[0] = width;
    key[1] = height;
    key[2] = focal;
    key[3] = centreX;
    key[4] = centreY;
    key[5] = filterId;
    key.set(R, 6);
    return image;
  }
}
