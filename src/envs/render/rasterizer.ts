/**
 * The z-buffered scanline rasteriser. Callers fill per-vertex camera-space positions and lit colours into the
 * vertex arrays, call `projectVertices`, then `drawTriangles` per geom. Pixel (i, j) is sampled at its centre
 * (i + 0.5, j + 0.5) with a top-left style rule (a pixel belongs to a triangle when its centre lies in
 * [left, right) x [top, bottom)), so triangles sharing an edge never both cover a pixel.
 *
 * Depth is kept as w = 1 / z-depth (z-depth = distance along the optical axis), which is affine in screen space,
 * so it interpolates exactly across planar triangles; larger w is nearer. Colours use Gouraud interpolation
 * (affine in screen space); texture coordinates are interpolated perspective-correctly (u*w, v*w, then / w).
 */
import type { ShadowMap } from './shadow.js';
import { accumulateBilinear, type TextureFilter, type TextureImage } from './texture.js';

/**
 * How triangles combine with what is drawn. DRAW: depth-tested and written (colour, depth, geom id). ADD_LIT: a
 * shadow-casting light's pass, its colour added where the triangle is the visible surface and the shadow map lets
 * the light through. BLEND: a transparent geom, its colour blended by `alpha` where it lies in front; depth and
 * ids untouched (native MuJoCo draws transparent geoms without depth writes). DEPTH_ONLY: depth and geom id
 * written where nearer, colour untouched.
 */
export const DRAW = 0;
export const ADD_LIT = 1;
export const BLEND = 2;
export const DEPTH_ONLY = 3;
export type RasterMode = typeof DRAW | typeof ADD_LIT | typeof BLEND | typeof DEPTH_ONLY;

/** Extra vertex slots past the mesh's own vertices, used for near-plane clipping output. */
const CLIP_SLOTS = 8;

export class Rasterizer {
  width = 0;
  height = 0;
  /**
   * [H, W, 3] RGB, written directly so the frame needs no unpacking pass. Clamped stores round and saturate, so
   * interpolated colours that overshoot [0, 255] slightly at triangle edges, and bright lit texels, stay valid.
   */
  rgb = new Uint8ClampedArray(0);
  /** [H, W] 1 / z-depth; 0 where nothing was drawn. */
  invDepth = new Float32Array(0);
  /** [H, W] geom id, -1 where nothing was drawn. */
  segment = new Int32Array(0);
  /** How textured triangles sample their texture. */
  textureFilter: TextureFilter = 'nearest';
  /** How triangles combine with what is already drawn: DRAW, ADD_LIT, BLEND or DEPTH_ONLY. */
  mode: RasterMode = DRAW;
  /** ADD_LIT: the shadow map of the light whose pass is drawn. */
  shadow: ShadowMap | null = null;
  /** BLEND: the colour's opacity. */
  alpha = 1;

  /**
   * Focal length in pixels and the principal point: where the optical axis crosses the frame, in the raster's
   * pixel coordinates (pixel (i, j) is sampled at (i + 0.5, j + 0.5)); a sample offset shifts it.
   */
  private focal = 1;
  centreX = 0;
  centreY = 0;
  /**
   * From a pixel's sample to its centre, in raster pixels. Like multisampling, a sample decides coverage and depth
   * but the pixel is shaded (colours, texture coordinates, shadow lookups) at its centre, so supersampling
   * smooths edges without blurring textures.
   */
  private shadeOffsetX = 0;
  private shadeOffsetY = 0;
  private near = 0.01;

  // Per-vertex attributes, [capacity] each. Camera space (x right, y up, looking along -z).
  cx = new Float64Array(0);
  cy = new Float64Array(0);
  cz = new Float64Array(0);
  /** Screen x, y (pixels, y down) and w = 1 / z-depth; valid only for vertices in front of the near plane. */
  sx = new Float64Array(0);
  sy = new Float64Array(0);
  sw = new Float64Array(0);
  /** Untextured: colour 0-255. Textured: lit colour (0-1 scale) that multiplies the texel. */
  cr = new Float64Array(0);
  cg = new Float64Array(0);
  cb = new Float64Array(0);
  /** Textured only: texture coordinates (1 = one texture width). */
  tu = new Float64Array(0);
  tv = new Float64Array(0);
  private clipBase = 0;
  /** The camera-space attributes that near-plane clipping interpolates (screen ones are recomputed). */
  private interpolated: Float64Array[] = [];
  /** Scratch for clipping: the triangle's corners and the clipped polygon's vertex slots. */
  private readonly ring = new Int32Array(3);
  private readonly polygon = new Int32Array(4);
  /** Scratch for linear texture filtering: the filtered texel [r, g, b]. */
  private readonly texel = new Float64Array(3);

  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.width = width;
    this.height = height;
    this.rgb = new Uint8ClampedArray(width * height * 3);
    this.invDepth = new Float32Array(width * height);
    this.segment = new Int32Array(width * height);
  }

  /** Makes room for `count` mesh vertices (plus clip slots). */
  reserveVertices(count: number): void {
    this.clipBase = count;
    const needed = count + CLIP_SLOTS;
    if (this.cx.length >= needed) return;
    const size = Math.max(needed, this.cx.length * 2);
    for (const key of ['cx', 'cy', 'cz', 'sx', 'sy', 'sw', 'cr', 'cg', 'cb', 'tu', 'tv'] as const) {
      this[key] = new Float64Array(size);
    }
    this.interpolated = [this.cx, this.cy, this.cz, this.cr, this.cg, this.cb, this.tu, this.tv];
  }

  /** Focal length in pixels of the current projection. */
  get focalPx(): number {
    return this.focal;
  }

  /**
   * Sets the projection: focal length in pixels, near plane, and the position (sampleX, sampleY) in [0, 1)^2
   * within each pixel that the pixel samples (0.5, 0.5 is its centre).
   */
  setProjection(focalPx: number, near: number, sampleX = 0.5, sampleY = 0.5): void {
    this.focal = focalPx;
    this.centreX = this.width / 2 + 0.5 - sampleX;
    this.centreY = this.height / 2 + 0.5 - sampleY;
    this.shadeOffsetX = 0.5 - sampleX;
    this.shadeOffsetY = 0.5 - sampleY;
    this.near = near;
  }

  /** Resets depth and segmentation; colour comes from `background` ([H, W, 3] RGB bytes) or one packed 0xRRGGBB. */
  clear(background: Uint8Array | number): void {
    if (typeof background === 'number') {
      const rgb = this.rgb;
      const r = background >>> 16, g = (background >>> 8) & 255, b = background & 255;
      if (r === g && g === b) {
        rgb.fill(r);
      } else {
        for (let p = 0; p < rgb.length; p += 3) {
          rgb[p] = r;
          rgb[p + 1] = g;
          rgb[p + 2] = b;
        }
      }
    } else {
      this.rgb.set(background);
    }
    this.invDepth.fill(0);
    this.segment.fill(-1);
  }

  /** Projects vertices [0, count) that lie in front of the near plane. */
  projectVertices(count: number): void {
    const { cx, cy, cz, sx, sy, sw, focal, centreX, centreY } = this;
    const limit = -this.near;
    for (let v = 0; v < count; v++) {
      const z = cz[v]!;
      if (z > limit) continue;
      const w = -1 / z;
      sw[v] = w;
      sx[v] = centreX + focal * cx[v]! * w;
      sy[v] = centreY - focal * cy[v]! * w;
    }
  }

  /**
   * Draws `triangleCount` triangles of `indices` with segmentation id `geomId`. With `cull`, triangles whose
   * front (counter-clockwise) side faces away from the camera are skipped.
   */
  drawTriangles(indices: Uint32Array, triangleCount: number, geomId: number, texture: TextureImage | null, cull: boolean): void {
    const cz = this.cz;
    const limit = -this.near;
    for (let t = 0; t < triangleCount; t++) {
      const a = indices[3 * t]!;
      const b = indices[3 * t + 1]!;
      const c = indices[3 * t + 2]!;
      const inA = cz[a]! <= limit, inB = cz[b]! <= limit, inC = cz[c]! <= limit;
      if (inA && inB && inC) this.drawTriangle(a, b, c, geomId, texture, cull);
      else if (inA || inB || inC) this.drawClipped(a, b, c, geomId, texture, cull);
    }
  }

  /** Clips a triangle against the near plane (z = -near) and draws the one or two triangles that remain. */
  private drawClipped(a: number, b: number, c: number, geomId: number, texture: TextureImage | null, cull: boolean): void {
    const limit = -this.near;
    const cz = this.cz;
    const ring = this.ring, polygon = this.polygon;
    ring[0] = a;
    ring[1] = b;
    ring[2] = c;
    let out = this.clipBase;
    let n = 0;
    for (let k = 0; k < 3; k++) {
      const p = ring[k]!;
      const q = ring[(k + 1) % 3]!;
      const pIn = cz[p]! <= limit;
      const qIn = cz[q]! <= limit;
      if (pIn) {
        this.copyVertex(out, p);
        polygon[n++] = out++;
      }
      if (pIn !== qIn) {
        const t = (limit - cz[p]!) / (cz[q]! - cz[p]!);
        this.lerpVertex(out, p, q, t);
        cz[out] = limit;
        polygon[n++] = out++;
      }
    }
    this.projectRange(this.clipBase, out);
    for (let k = 1; k + 1 < n; k++) this.drawTriangle(polygon[0]!, polygon[k]!, polygon[k + 1]!, geomId, texture, cull);
  }

  private projectRange(from: number, to: number): void {
    const { cx, cy, cz, sx, sy, sw, focal, centreX, centreY } = this;
    for (let v = from; v < to; v++) {
      const w = -1 / cz[v]!;
      sw[v] = w;
      sx[v] = centreX + focal * cx[v]! * w;
      sy[v] = centreY - focal * cy[v]! * w;
    }
  }

  private copyVertex(dst: number, src: number): void {
    this.lerpVertex(dst, src, src, 0);
  }

  private lerpVertex(dst: number, p: number, q: number, t: number): void {
    for (const arr of this.interpolated) arr[dst] = arr[p]! + (arr[q]! - arr[p]!) * t;
  }

  private drawTriangle(a: number, b: number, c: number, geomId: number, texture: TextureImage | null, cull: boolean): void {
    const sx = this.sx, sy = this.sy;
    const x0 = sx[a]!, y0 = sy[a]!, x1 = sx[b]!, y1 = sy[b]!, x2 = sx[c]!, y2 = sy[c]!;
    const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    // Counter-clockwise in a y-up view is clockwise with y down: front faces have negative area here.
    if (!(area < 0) && (cull || !(area > 0))) return;
    if (texture) this.rasterTextured(a, b, c, area, geomId, texture);
    else this.rasterFlat(a, b, c, area, geomId);
  }

  /** Gouraud-shaded triangle; `area` is twice the signed screen area (non-zero). */
  private rasterFlat(a: number, b: number, c: number, area: number, geomId: number): void {
    const { sx, sy, sw, cr, cg, cb, width, height, rgb, invDepth, segment, shadow, mode, alpha } = this;
    const x0 = sx[a]!, y0 = sy[a]!, x1 = sx[b]!, y1 = sy[b]!, x2 = sx[c]!, y2 = sy[c]!;
    const inv = 1 / area;
    const e1x = x1 - x0, e1y = y1 - y0, e2x = x2 - x0, e2y = y2 - y0;
    // d(attr)/dx and d(attr)/dy from the plane through the three vertices.
    const w0 = sw[a]!, dw1 = sw[b]! - w0, dw2 = sw[c]! - w0;
    const dwdx = (dw1 * e2y - dw2 * e1y) * inv, dwdy = (dw2 * e1x - dw1 * e2x) * inv;
    const offX = this.shadeOffsetX, offY = this.shadeOffsetY, wOff = dwdx * offX + dwdy * offY;
    const r0 = cr[a]!, dr1 = cr[b]! - r0, dr2 = cr[c]! - r0;
    const drdx = (dr1 * e2y - dr2 * e1y) * inv, drdy = (dr2 * e1x - dr1 * e2x) * inv;
    const g0 = cg[a]!, dg1 = cg[b]! - g0, dg2 = cg[c]! - g0;
    const dgdx = (dg1 * e2y - dg2 * e1y) * inv, dgdy = (dg2 * e1x - dg1 * e2x) * inv;
    const b0 = cb[a]!, db1 = cb[b]! - b0, db2 = cb[c]! - b0;
    const dbdx = (db1 * e2y - db2 * e1y) * inv, dbdy = (db2 * e1x - db1 * e2x) * inv;

    // Sort vertices by y: top (t), middle (m), bottom (b).
    let xt = x0, yt = y0, xm = x1, ym = y1, xb = x2, yb = y2, tmp: number;
    if (ym < yt) { tmp = xt; xt = xm; xm = tmp; tmp = yt; yt = ym; ym = tmp; }
    if (yb < ym) { tmp = xm; xm = xb; xb = tmp; tmp = ym; ym = yb; yb = tmp; }
    if (ym < yt) { tmp = xt; xt = xm; xm = tmp; tmp = yt; yt = ym; ym = tmp; }
    let rowStart = Math.ceil(yt - 0.5);
    let rowEnd = Math.ceil(yb - 0.5);
    if (rowStart < 0) rowStart = 0;
    if (rowEnd > height) rowEnd = height;
    if (rowStart >= rowEnd) return;
    const slopeLong = yb > yt ? (xb - xt) / (yb - yt) : 0;
    const slopeTop = ym > yt ? (xm - xt) / (ym - yt) : 0;
    const slopeBottom = yb > ym ? (xb - xm) / (yb - ym) : 0;

    for (let row = rowStart; row < rowEnd; row++) {
      const yc = row + 0.5;
      const xa = xt + (yc - yt) * slopeLong;
      const xe = yc < ym ? xt + (yc - yt) * slopeTop : xm + (yc - ym) * slopeBottom;
      let left = Math.ceil((xa < xe ? xa : xe) - 0.5);
      let right = Math.ceil((xa < xe ? xe : xa) - 0.5);
      if (left < 0) left = 0;
      if (right > width) right = width;
      if (left >= right) continue;
      const dx = left + 0.5 - x0, dy = yc - y0;
      // Depth at the sample; colour at the pixel centre (see shadeOffsetX).
      let w = w0 + dwdx * dx + dwdy * dy;
      const sdx = dx + offX, sdy = dy + offY;
      let r = r0 + drdx * sdx + drdy * sdy;
      let g = g0 + dgdx * sdx + dgdy * sdy;
      let bl = b0 + dbdx * sdx + dbdy * sdy;
      const rowBase = row * width;
      let idx = rowBase + left;
      const end = rowBase + right;
      for (; idx < end; idx++) {
        const p = 3 * idx;
        if (mode === DRAW) {
          if (w > invDepth[idx]!) {
            invDepth[idx] = w;
            segment[idx] = geomId;
            rgb[p] = r;
            rgb[p + 1] = g;
            rgb[p + 2] = bl;
          }
        } else if (mode === ADD_LIT) {
          if (segment[idx] === geomId && Math.fround(w) === invDepth[idx] && shadow!.litAtPixel(idx - rowBase + 0.5 + offX, yc + offY, w + wOff, geomId)) {
            rgb[p] = rgb[p]! + r;
            rgb[p + 1] = rgb[p + 1]! + g;
            rgb[p + 2] = rgb[p + 2]! + bl;
          }
        } else if (w > invDepth[idx]!) {
          if (mode === BLEND) {
            rgb[p] = rgb[p]! + alpha * (r - rgb[p]!);
            rgb[p + 1] = rgb[p + 1]! + alpha * (g - rgb[p + 1]!);
            rgb[p + 2] = rgb[p + 2]! + alpha * (bl - rgb[p + 2]!);
          } else {
            invDepth[idx] = w;
            segment[idx] = geomId;
          }
        }
        w += dwdx;
        r += drdx;
        g += dgdx;
        bl += dbdx;
      }
    }
  }

  /**
   * Textured, lit triangle: texel * lit colour, perspective-correct texture coordinates. The mip level comes from
   * the texel footprint per row; with linear filtering, the two nearest levels are blended.
   */
  private rasterTextured(a: number, b: number, c: number, area: number, geomId: number, texture: TextureImage): void {
    const { sx, sy, sw, cr, cg, cb, tu, tv, width, height, invDepth, segment, shadow, mode } = this;
    const x0 = sx[a]!, y0 = sy[a]!, x1 = sx[b]!, y1 = sy[b]!, x2 = sx[c]!, y2 = sy[c]!;
    const inv = 1 / area;
    const e1x = x1 - x0, e1y = y1 - y0, e2x = x2 - x0, e2y = y2 - y0;
    const w0 = sw[a]!, wb = sw[b]!, wc = sw[c]!;
    const dw1 = wb - w0, dw2 = wc - w0;
    const dwdx = (dw1 * e2y - dw2 * e1y) * inv, dwdy = (dw2 * e1x - dw1 * e2x) * inv;
    const offX = this.shadeOffsetX, offY = this.shadeOffsetY, wOff = dwdx * offX + dwdy * offY;
    // Texture coordinates are interpolated as attr * w (perspective-correct) and divided per pixel.
    const u0 = tu[a]! * w0, du1 = tu[b]! * wb - u0, du2 = tu[c]! * wc - u0;
    const dudx = (du1 * e2y - du2 * e1y) * inv, dudy = (du2 * e1x - du1 * e2x) * inv;
    const v0 = tv[a]! * w0, dv1 = tv[b]! * wb - v0, dv2 = tv[c]! * wc - v0;
    const dvdx = (dv1 * e2y - dv2 * e1y) * inv, dvdy = (dv2 * e1x - dv1 * e2x) * inv;
    const mr0 = cr[a]!, dmr1 = cr[b]! - mr0, dmr2 = cr[c]! - mr0;
    const dmrdx = (dmr1 * e2y - dmr2 * e1y) * inv, dmrdy = (dmr2 * e1x - dmr1 * e2x) * inv;
    const mg0 = cg[a]!, dmg1 = cg[b]! - mg0, dmg2 = cg[c]! - mg0;
    const dmgdx = (dmg1 * e2y - dmg2 * e1y) * inv, dmgdy = (dmg2 * e1x - dmg1 * e2x) * inv;
    const mb0 = cb[a]!, dmb1 = cb[b]! - mb0, dmb2 = cb[c]! - mb0;
    const dmbdx = (dmb1 * e2y - dmb2 * e1y) * inv, dmbdy = (dmb2 * e1x - dmb1 * e2x) * inv;
    const levels = texture.levels, lastLevel = levels.length - 1;
    const baseW = texture.width, baseH = texture.height;
    const linear = this.textureFilter === 'linear';
    const texel = this.texel;

    let xt = x0, yt = y0, xm = x1, ym = y1, xb = x2, yb = y2, tmp: number;
    if (ym < yt) { tmp = xt; xt = xm; xm = tmp; tmp = yt; yt = ym; ym = tmp; }
    if (yb < ym) { tmp = xm; xm = xb; xb = tmp; tmp = ym; ym = yb; yb = tmp; }
    if (ym < yt) { tmp = xt; xt = xm; xm = tmp; tmp = yt; yt = ym; ym = tmp; }
    let rowStart = Math.ceil(yt - 0.5);
    let rowEnd = Math.ceil(yb - 0.5);
    if (rowStart < 0) rowStart = 0;
    if (rowEnd > height) rowEnd = height;
    if (rowStart >= rowEnd) return;
    const slopeLong = yb > yt ? (xb - xt) / (yb - yt) : 0;
    const slopeTop = ym > yt ? (xm - xt) / (ym - yt) : 0;
    const slopeBottom = yb > ym ? (xb - xm) / (yb - ym) : 0;

    for (let row = rowStart; row < rowEnd; row++) {
      const yc = row + 0.5;
      const xa = xt + (yc - yt) * slopeLong;
      const xe = yc < ym ? xt + (yc - yt) * slopeTop : xm + (yc - ym) * slopeBottom;
      let left = Math.ceil((xa < xe ? xa : xe) - 0.5);
      let right = Math.ceil((xa < xe ? xe : xa) - 0.5);
      if (left < 0) left = 0;
      if (right > width) right = width;
      if (left >= right) continue;
      const dx = left + 0.5 - x0, dy = yc - y0;
      // Level of detail for the row from the texel footprint at the span's middle (depth varies little along a row
      // for floors and walls, the large textured surfaces): d(U/W) = (dU - (U/W) dW) / W; lod = log2(footprint).
      const mdx = dx + (right - left - 1) * 0.5;
      const wm = w0 + dwdx * mdx + dwdy * dy;
      const um = (u0 + dudx * mdx + dudy * dy) / wm, vm = (v0 + dvdx * mdx + dvdy * dy) / wm;
      const ux = ((dudx - um * dwdx) / wm) * baseW, vx = ((dvdx - vm * dwdx) / wm) * baseH;
      const uy = ((dudy - um * dwdy) / wm) * baseW, vy = ((dvdy - vm * dwdy) / wm) * baseH;
      const footprint = Math.max(ux * ux + vx * vx, uy * uy + vy * vy);
      const lod = footprint > 1 ? Math.min(0.5 * Math.log2(footprint), lastLevel) : 0;
      // Nearest: the level below the footprint. Linear: the two levels around it, blended by the fraction.
      const level = Math.floor(lod);
      const blend = linear && level < lastLevel ? lod - level : 0;
      const image = levels[level]!, next = levels[Math.min(level + 1, lastLevel)]!;
      const texels = image.texels, tw = image.width, th = image.height;
      const wMask = image.widthMask, hMask = image.heightMask;
      const fastWrap = wMask >= 0 && hMask >= 0 && !image.clampToEdge;
      const nextTexels = next.texels, nextW = next.width, nextH = next.height, nextWMask = next.widthMask, nextHMask = next.heightMask;
      // Depth at the sample; texture coordinates and colour at the pixel centre (see shadeOffsetX).
      let w = w0 + dwdx * dx + dwdy * dy;
      const sdx = dx + offX, sdy = dy + offY;
      let uw = u0 + dudx * sdx + dudy * sdy;
      let vw = v0 + dvdx * sdx + dvdy * sdy;
      let mr = mr0 + dmrdx * sdx + dmrdy * sdy;
      let mg = mg0 + dmgdx * sdx + dmgdy * sdy;
      let mb = mb0 + dmbdx * sdx + dmbdy * sdy;
      const rowBase = row * width;
      let idx = rowBase + left;
      const end = rowBase + right;
      for (; idx < end; idx++) {
        const drawn =
          mode === ADD_LIT
            ? segment[idx] === geomId && Math.fround(w) === invDepth[idx] && shadow!.litAtPixel(idx - rowBase + 0.5 + offX, yc + offY, w + wOff, geomId)
            : w > invDepth[idx]!;
        if (drawn && (mode === DRAW || mode === DEPTH_ONLY)) {
          invDepth[idx] = w;
          segment[idx] = geomId;
        }
        if (drawn && mode !== DEPTH_ONLY) {
          const z = 1 / (w + wOff);
          const p = 3 * idx;
          if (linear) {
            const u = uw * z, v = vw * z;
            let tr: number, tg: number, tb: number;
            if (fastWrap) {
              // Bilinear samples of repeating power-of-two images (floors, tables: most textured pixels), inlined
              // because this loop dominates frames with large textured surfaces.
              const x = u * tw - 0.5, y = v * th - 0.5;
              const xi = Math.floor(x), yi = Math.floor(y);
              const fx = x - xi, fy = y - yi, k = 1 - blend;
              const i0 = xi & wMask, i1 = (xi + 1) & wMask, row0 = (yi & hMask) * tw, row1 = ((yi + 1) & hMask) * tw;
              const t00 = texels[row0 + i0]!, t01 = texels[row0 + i1]!, t10 = texels[row1 + i0]!, t11 = texels[row1 + i1]!;
              const k00 = (1 - fx) * (1 - fy) * k, k01 = fx * (1 - fy) * k, k10 = (1 - fx) * fy * k, k11 = fx * fy * k;
              tr = k00 * (t00 >>> 16) + k01 * (t01 >>> 16) + k10 * (t10 >>> 16) + k11 * (t11 >>> 16);
              tg = k00 * ((t00 >>> 8) & 255) + k01 * ((t01 >>> 8) & 255) + k10 * ((t10 >>> 8) & 255) + k11 * ((t11 >>> 8) & 255);
              tb = k00 * (t00 & 255) + k01 * (t01 & 255) + k10 * (t10 & 255) + k11 * (t11 & 255);
              if (blend > 0) {
                const nx = u * nextW - 0.5, ny = v * nextH - 0.5;
                const nxi = Math.floor(nx), nyi = Math.floor(ny);
                const gx = nx - nxi, gy = ny - nyi;
                const j0 = nxi & nextWMask, j1 = (nxi + 1) & nextWMask, s0 = (nyi & nextHMask) * nextW, s1 = ((nyi + 1) & nextHMask) * nextW;
                const na = nextTexels[s0 + j0]!, nb = nextTexels[s0 + j1]!, nc = nextTexels[s1 + j0]!, nd = nextTexels[s1 + j1]!;
                const va = (1 - gx) * (1 - gy) * blend, vb = gx * (1 - gy) * blend, vc = (1 - gx) * gy * blend, vd = gx * gy * blend;
                tr += va * (na >>> 16) + vb * (nb >>> 16) + vc * (nc >>> 16) + vd * (nd >>> 16);
                tg += va * ((na >>> 8) & 255) + vb * ((nb >>> 8) & 255) + vc * ((nc >>> 8) & 255) + vd * ((nd >>> 8) & 255);
                tb += va * (na & 255) + vb * (nb & 255) + vc * (nc & 255) + vd * (nd & 255);
              }
            } else {
              texel[0] = texel[1] = texel[2] = 0;
              accumulateBilinear(image, u, v, 1 - blend, texel);
              if (blend > 0) accumulateBilinear(next, u, v, blend, texel);
              tr = texel[0]!;
              tg = texel[1]!;
              tb = texel[2]!;
            }
            this.combine(p, tr * mr, tg * mg, tb * mb);
          } else {
            let iu = Math.floor(uw * z * tw);
            let iv = Math.floor(vw * z * th);
            if (wMask >= 0) iu &= wMask;
            else if ((iu %= tw) < 0) iu += tw;
            if (hMask >= 0) iv &= hMask;
            else if ((iv %= th) < 0) iv += th;
            const t = texels[iv * tw + iu]!;
            this.combine(p, ((t >>> 16) & 255) * mr, ((t >>> 8) & 255) * mg, (t & 255) * mb);
          }
        }
        w += dwdx;
        uw += dudx;
        vw += dvdx;
        mr += dmrdx;
        mg += dmgdx;
        mb += dmbdx;
      }
    }
  }

  /** Puts colour (r, g, b) (0-255) into the frame at byte offset `p` as the mode says (DRAW, ADD_LIT or BLEND). */
  private combine(p: number, r: number, g: number, b: number): void {
    const rgb = this.rgb;
    if (this.mode === DRAW) {
      rgb[p] = r;
      rgb[p + 1] = g;
      rgb[p + 2] = b;
    } else if (this.mode === ADD_LIT) {
      rgb[p] = rgb[p]! + r;
      rgb[p + 1] = rgb[p + 1]! + g;
      rgb[p + 2] = rgb[p + 2]! + b;
    } else {
      const a = this.alpha;
      rgb[p] = rgb[p]! + a * (r - rgb[p]!);
      rgb[p + 1] = rgb[p + 1]! + a * (g - rgb[p + 1]!);
      rgb[p + 2] = rgb[p + 2]! + a * (b - rgb[p + 2]!);
    }
  }

  /** Z-depth in metres per pixel; Infinity where nothing was drawn. */
  readDepth(out: Float32Array): void {
    const invDepth = this.invDepth;
    for (let i = 0; i < invDepth.length; i++) {
      const w = invDepth[i]!;
      out[i] = w > 0 ? 1 / w : Infinity;
    }
  }
}
