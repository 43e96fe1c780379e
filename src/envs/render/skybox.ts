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
   * What `image` was drawn for: width, height, focal length, texture filter, then the 9 rotation entries
   * (NaN = nothing yet).
   */
  private readonly key = new Float64Array(13).fill(NaN);
  private readonly scratch = new Float64Array(3);
  private readonly colour = new Float64Array(3);

  /**
   * The background for camera rotation `rot` (row-major camera-to-world) and focal length `focal` in pixels,
   * sampled with `filter` through each pixel's centre (supersampled frames shade the sky there too, as
   * multisampling does).
   */
  draw(sky: Texture, rot: Float64Array, width: number, height: number, focal: number, filter: TextureFilter): Uint8Array {
    const R = rot;
    const key = this.key;
    const filterId = TEXTURE_FILTERS.indexOf(filter);
    let same = key[0] === width && key[1] === height && key[2] === focal && key[3] === filterId;
    for (let k = 0; k < 9 && same; k++) same = key[4 + k] === R[k];
    if (same) return this.image;
    if (this.image.length !== width * height * 3) this.image = new Uint8Array(width * height * 3);
    const image = this.image, scratch = this.scratch, colour = this.colour;
    for (let j = 0; j < height; j++) {
      const dyc = -(j + 0.5 - height / 2) / focal;
      for (let i = 0; i < width; i++) {
        const dxc = (i + 0.5 - width / 2) / focal;
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
    key[3] = filterId;
    key.set(R, 4);
    return image;
  }
}
