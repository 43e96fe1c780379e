/**
 * Shadow maps for shadow-casting lights, set up as native MuJoCo sets up its own: the light looks along its
 * direction with the up vector of mjr_orthoVec; a directional light projects orthographically over
 * +-stat.extent * vis.map.shadowclip, a spot light in perspective with a vertical field of view of
 * min(2 cutoff vis.map.shadowscale, 160) degrees. The map holds, per texel, the nearest caster and its geom id.
 *
 * Differences from native, on purpose: the map is sized to the frame (a few texels per pixel, at most the model's
 * shadowsize) instead of shadowsize^2, planes do not cast (a floor would only shadow what lies under it), and a
 * geom does not shadow itself (MuJoCo's primitives are convex, so a lit point cannot be hidden by its own geom;
 * this replaces the depth bias that keeps native shadow maps free of self-shadowing acne).
 */
import type { GeomMesh } from './tessellate.js';

export const PROJECTION_ORTHOGRAPHIC = 0;
export const PROJECTION_PERSPECTIVE = 1;

export class ShadowMap {
  size = 0;
  /** [N, N] depth of the nearest caster along the light's axis (metres); Infinity where none. */
  private depth = new Float32Array(0);
  /** [N, N] geom id of that caster. */
  private caster = new Int32Array(0);
  /** Texel box written since the last clear (so clearing touches only that). */
  private dirty = { x0: 0, y0: 0, x1: -1, y1: -1 };
  /** Light frame: position and rows right, up, backward (world to light rotation, row-major). */
  private readonly pos = new Float64Array(3);
  private readonly rot = new Float64Array(9);
  private projection = PROJECTION_ORTHOGRAPHIC;
  /** Orthographic: texels per metre. Perspective: focal length in texels. */
  private scale = 1;
  private near = 0;
  /** Camera space of the frame being shaded -> light space, [3, 4] row-major; and the camera's projection. */
  private readonly fromCamera = new Float64Array(12);
  private cameraFocal = 1;
  private cameraCentreX = 0;
  private cameraCentreY = 0;
  /** Scratch: one mesh's vertices in map coordinates (x, y texels; depth metres). */
  private mx = new Float64Array(0);
  private my = new Float64Array(0);
  private md = new Float64Array(0);

  /**
   * Starts a map of `size` texels for a light at `lightPos` shining along unit `lightDir` (world). Orthographic
   * maps cover +-`extent` metres; perspective ones `fovyDeg` degrees. `near` is the nearest depth drawn.
   */
  begin(size: number, lightPos: ArrayLike<number>, lightDir: ArrayLike<number>, projection: number, extent: number, fovyDeg: number, near: number): void {
    if (size !== this.size) {
      this.size = size;
      this.depth = new Float32Array(size * size).fill(Infinity);
      this.caster = new Int32Array(size * size).fill(-1);
      this.dirty = { x0: 0, y0: 0, x1: -1, y1: -1 };
    } else {
      this.clearDirty();
    }
    const fx = lightDir[0]!, fy = lightDir[1]!, fz = lightDir[2]!;
    // mjr_orthoVec: up = forward x (-1, 0, 0), or forward x (0, 1, 0) when forward is nearly along x.
    let ux = 0, uy = -fz, uz = fy;
    if (uy * uy + uz * uz <= 0.01) {
      ux = -fz;
      uy = 0;
      uz = fx;
    }
    const un = Math.hypot(ux, uy, uz) || 1;
    ux /= un;
    uy /= un;
    uz /= un;
    // mjr_lookAt: side = forward x up, up' = side x forward; rows of the world-to-light rotation: side, up', -forward.
    let sx = fy * uz - fz * uy, sy = fz * ux - fx * uz, sz = fx * uy - fy * ux;
    const sn = Math.hypot(sx, sy, sz) || 1;
    sx /= sn;
    sy /= sn;
    sz /= sn;
    const vx = sy * fz - sz * fy, vy = sz * fx - sx * fz, vz = sx * fy - sy * fx;
    this.rot.set([sx, sy, sz, vx, vy, vz, -fx, -fy, -fz]);
    this.pos.set([lightPos[0]!, lightPos[1]!, lightPos[2]!]);
    this.projection = projection;
    this.scale = projection === PROJECTION_ORTHOGRAPHIC ? size / (2 * extent) : size / 2 / Math.tan((fovyDeg * Math.PI) / 360);
    this.near = near;
  }

  /** Texels per metre at depth `depth`: what a caster's tessellation is judged against. */
  texelsPerMetre(depth: number): number {
    return this.projection === PROJECTION_ORTHOGRAPHIC ? this.scale : this.scale / Math.max(depth, this.near);
  }

  /** Depth of world point (x, y, z) along the light's axis. */
  depthOf(x: number, y: number, z: number): number {
    const R = this.rot;
    return -(R[6]! * (x - this.pos[0]!) + R[7]! * (y - this.pos[1]!) + R[8]! * (z - this.pos[2]!));
  }

  /**
   * Draws caster `geomId`: `mesh` with local-to-world rotation `xmat` (row-major) and position `xpos`. Both sides
   * of every triangle cast, as in native MuJoCo.
   */
  drawCaster(geomId: number, mesh: GeomMesh, xpos: ArrayLike<number>, xmat: ArrayLike<number>): void {
    const n = mesh.vertexCount;
    if (this.mx.length < n) {
      this.mx = new Float64Array(n);
      this.my = new Float64Array(n);
      this.md = new Float64Array(n);
    }
    const { mx, my, md, rot: R, pos, size, scale } = this;
    const half = size / 2;
    const p = mesh.positions;
    for (let v = 0; v < n; v++) {
      const lx = p[3 * v]!, ly = p[3 * v + 1]!, lz = p[3 * v + 2]!;
      const wx = xmat[0]! * lx + xmat[1]! * ly + xmat[2]! * lz + xpos[0]! - pos[0]!;
      const wy = xmat[3]! * lx + xmat[4]! * ly + xmat[5]! * lz + xpos[1]! - pos[1]!;
      const wz = xmat[6]! * lx + xmat[7]! * ly + xmat[8]! * lz + xpos[2]! - pos[2]!;
      const x = R[0]! * wx + R[1]! * wy + R[2]! * wz;
      const y = R[3]! * wx + R[4]! * wy + R[5]! * wz;
      const d = -(R[6]! * wx + R[7]! * wy + R[8]! * wz);
      md[v] = d;
      const k = this.projection === PROJECTION_ORTHOGRAPHIC ? scale : scale / d;
      mx[v] = half + x * k;
      my[v] = half - y * k;
    }
    const idx = mesh.indices;
    const perspective = this.projection === PROJECTION_PERSPECTIVE;
    for (let t = 0; t < mesh.triangleCount; t++) {
      const a = idx[3 * t]!, b = idx[3 * t + 1]!, c = idx[3 * t + 2]!;
      // Casters behind the light's near plane are left out (a light inside a body).
      if (perspective && (md[a]! < this.near || md[b]! < this.near || md[c]! < this.near)) continue;
      this.fillTriangle(a, b, c, geomId, perspective);
    }
  }

  /** Depth-tests one triangle into the map: depth is affine in the map (orthographic), 1 / depth (perspective). */
  private fillTriangle(a: number, b: number, c: number, geomId: number, perspective: boolean): void {
    const { mx, my, md, size, depth, caster } = this;
    const x0 = mx[a]!, y0 = my[a]!, x1 = mx[b]!, y1 = my[b]!, x2 = mx[c]!, y2 = my[c]!;
    const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    if (!(area !== 0)) return;
    const q0 = perspective ? 1 / md[a]! : md[a]!, q1 = perspective ? 1 / md[b]! : md[b]!, q2 = perspective ? 1 / md[c]! : md[c]!;
    const inv = 1 / area;
    const dqdx = ((q1 - q0) * (y2 - y0) - (q2 - q0) * (y1 - y0)) * inv;
    const dqdy = ((q2 - q0) * (x1 - x0) - (q1 - q0) * (x2 - x0)) * inv;
    let minX = Math.max(0, Math.ceil(Math.min(x0, x1, x2) - 0.5)), maxX = Math.min(size, Math.ceil(Math.max(x0, x1, x2) - 0.5));
    let minY = Math.max(0, Math.ceil(Math.min(y0, y1, y2) - 0.5)), maxY = Math.min(size, Math.ceil(Math.max(y0, y1, y2) - 0.5));
    if (minX >= maxX || minY >= maxY) return;
    // Edge functions, oriented so that inside is >= 0 whichever way the triangle winds.
    const s = area > 0 ? 1 : -1;
    const e0a = s * (y1 - y2), e0b = s * (x2 - x1), e0c = s * (x1 * y2 - x2 * y1);
    const e1a = s * (y2 - y0), e1b = s * (x0 - x2), e1c = s * (x2 * y0 - x0 * y2);
    const e2a = s * (y0 - y1), e2b = s * (x1 - x0), e2c = s * (x0 * y1 - x1 * y0);
    const d = this.dirty;
    if (minX < d.x0 || d.x1 < d.x0) d.x0 = minX;
    if (minY < d.y0 || d.y1 < d.y0) d.y0 = minY;
    d.x1 = Math.max(d.x1, maxX - 1);
    d.y1 = Math.max(d.y1, maxY - 1);
    for (let j = minY; j < maxY; j++) {
      const py = j + 0.5;
      for (let i = minX; i < maxX; i++) {
        const px = i + 0.5;
        if (e0a * px + e0b * py + e0c < 0 || e1a * px + e1b * py + e1c < 0 || e2a * px + e2b * py + e2c < 0) continue;
        const q = q0 + dqdx * (px - x0) + dqdy * (py - y0);
        const dist = perspective ? 1 / q : q;
        const k = j * size + i;
        if (dist < depth[k]!) {
          depth[k] = dist;
          caster[k] = geomId;
        }
      }
    }
  }

  private clearDirty(): void {
    const { x0, y0, x1, y1 } = this.dirty;
    for (let j = y0; j <= y1; j++) {
      this.depth.fill(Infinity, j * this.size + x0, j * this.size + x1 + 1);
      this.caster.fill(-1, j * this.size + x0, j * this.size + x1 + 1);
    }
    this.dirty = { x0: 0, y0: 0, x1: -1, y1: -1 };
  }

  /**
   * Sets the camera whose pixels `litAtPixel` tests: position and camera-to-world rotation (row-major; columns
   * right, up, backward), focal length in pixels and principal point.
   */
  setCamera(camPos: ArrayLike<number>, camRot: ArrayLike<number>, focal: number, centreX: number, centreY: number): void {
    const R = this.rot, M = this.fromCamera;
    // light = Rl (Rc p + pc - pl)
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) M[4 * i + j] = R[3 * i]! * camRot[j]! + R[3 * i + 1]! * camRot[3 + j]! + R[3 * i + 2]! * camRot[6 + j]!;
      M[4 * i + 3] = R[3 * i]! * (camPos[0]! - this.pos[0]!) + R[3 * i + 1]! * (camPos[1]! - this.pos[1]!) + R[3 * i + 2]! * (camPos[2]! - this.pos[2]!);
    }
    this.cameraFocal = focal;
    this.cameraCentreX = centreX;
    this.cameraCentreY = centreY;
  }

  /**
   * Whether the light reaches the surface of geom `geomId` seen at pixel position (px, py) with w = 1 / z-depth.
   * Points outside the map are lit (native MuJoCo leaves the map's border texels empty for that).
   */
  litAtPixel(px: number, py: number, w: number, geomId: number): boolean {
    const z = 1 / w;
    const cx = ((px - this.cameraCentreX) / this.cameraFocal) * z, cy = (-(py - this.cameraCentreY) / this.cameraFocal) * z, cz = -z;
    const M = this.fromCamera;
    const x = M[0]! * cx + M[1]! * cy + M[2]! * cz + M[3]!;
    const y = M[4]! * cx + M[5]! * cy + M[6]! * cz + M[7]!;
    const d = -(M[8]! * cx + M[9]! * cy + M[10]! * cz + M[11]!);
    const perspective = this.projection === PROJECTION_PERSPECTIVE;
    if (perspective && d <= this.near) return true;
    const k = perspective ? this.scale / d : this.scale;
    const i = Math.floor(this.size / 2 + x * k), j = Math.floor(this.size / 2 - y * k);
    if (i < 0 || j < 0 || i >= this.size || j >= this.size) return true;
    const t = j * this.size + i;
    const id = this.caster[t]!;
    if (id < 0 || id === geomId) return true;
    // Bias of two texels' width at this depth, so that touching casters do not shadow their neighbours' edges.
    return this.depth[t]! >= d - 2 / k;
  }
}
