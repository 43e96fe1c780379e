/**
 * The part of a plane a camera can see, as a rectangle in the plane's frame: the camera frustum cut by the plane
 * (a convex polygon through the frustum's edges), clipped to the plane's extent, then boxed. Large and infinite
 * planes are tessellated on native MuJoCo's grid of up to 200 x 200 cells; only the cells in this window are
 * shaded and drawn.
 */

/** A rectangle [x0, x1] x [y0, y1] in the plane's frame. */
export interface PlaneWindow {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** The frustum's 12 edges as pairs of corner indices (corner = 4 * far + 2 * top + right). */
const EDGES = [0, 1, 2, 3, 0, 2, 1, 3, 4, 5, 6, 7, 4, 6, 5, 7, 0, 4, 1, 5, 2, 6, 3, 7] as const;
/** Clipping sides of the plane's rectangle: axis (0 = x, 1 = y) and sign. */
const SIDES = [0, 1, 0, -1, 1, 1, 1, -1] as const;
/** Room for the frustum section (6 points, more with corners on the plane) plus one point per clipped side. */
const MAX_POINTS = 16;

/** Scratch buffers (one frame's computation; no allocation per call). */
const corners = new Float64Array(24);
let polygon = new Float64Array(2 * MAX_POINTS);
let clipped = new Float64Array(2 * MAX_POINTS);
const angles = new Float64Array(MAX_POINTS);
const order = new Int32Array(MAX_POINTS);

/**
 * The visible window of a plane (frame: position `planePos`, row-major rotation `planeRot` whose z column is the
 * normal; half-sizes `halfX`, `halfY`) from a camera at `camPos` with camera-to-world rotation `camRot`, frustum
 * half-angles given by tangents `tanX`, `tanY`, depth range [near, far]. Writes into `out`; false when the plane
 * is out of view.
 */
export function visiblePlaneWindow(
  planePos: ArrayLike<number>,
  planeRot: ArrayLike<number>,
  halfX: number,
  halfY: number,
  camPos: ArrayLike<number>,
  camRot: ArrayLike<number>,
  tanX: number,
  tanY: number,
  near: number,
  far: number,
  out: PlaneWindow,
): boolean {
  // Frustum corners in the plane's frame.
  for (let c = 0; c < 8; c++) {
    const depth = c & 4 ? far : near;
    const cx = (c & 1 ? 1 : -1) * tanX * depth, cy = (c & 2 ? 1 : -1) * tanY * depth, cz = -depth;
    const wx = camPos[0]! + camRot[0]! * cx + camRot[1]! * cy + camRot[2]! * cz - planePos[0]!;
    const wy = camPos[1]! + camRot[3]! * cx + camRot[4]! * cy + camRot[5]! * cz - planePos[1]!;
    const wz = camPos[2]! + camRot[6]! * cx + camRot[7]! * cy + camRot[8]! * cz - planePos[2]!;
    corners[3 * c] = planeRot[0]! * wx + planeRot[3]! * wy + planeRot[6]! * wz;
    corners[3 * c + 1] = planeRot[1]! * wx + planeRot[4]! * wy + planeRot[7]! * wz;
    corners[3 * c + 2] = planeRot[2]! * wx + planeRot[5]! * wy + planeRot[8]! * wz;
  }
  // The frustum's section by the plane: where its edges cross z = 0.
  let n = 0;
  let cx = 0, cy = 0;
  for (let e = 0; e < 24 && n < MAX_POINTS - 4; e += 2) {
    const p = 3 * EDGES[e]!, q = 3 * EDGES[e + 1]!;
    const pz = corners[p + 2]!, qz = corners[q + 2]!;
    if (pz < 0 === qz < 0) continue;
    const t = pz / (pz - qz);
    const x = corners[p]! + t * (corners[q]! - corners[p]!), y = corners[p + 1]! + t * (corners[q + 1]! - corners[p + 1]!);
    polygon[2 * n] = x;
    polygon[2 * n + 1] = y;
    cx += x;
    cy += y;
    n++;
  }
  if (n < 3) return false;
  // Order the (convex) section's points around their centroid.
  cx /= n;
  cy /= n;
  for (let i = 0; i < n; i++) {
    angles[i] = Math.atan2(polygon[2 * i + 1]! - cy, polygon[2 * i]! - cx);
    order[i] = i;
  }
  for (let i = 1; i < n; i++) {
    const k = order[i]!;
    let j = i - 1;
    for (; j >= 0 && angles[order[j]!]! > angles[k]!; j--) order[j + 1] = order[j]!;
    order[j + 1] = k;
  }
  for (let i = 0; i < n; i++) {
    clipped[2 * i] = polygon[2 * order[i]!]!;
    clipped[2 * i + 1] = polygon[2 * order[i]! + 1]!;
  }
  [polygon, clipped] = [clipped, polygon];
  // Clip to the plane's rectangle, one side at a time (Sutherland-Hodgman).
  for (let s = 0; s < 8; s += 2) {
    const axis = SIDES[s]!, sign = SIDES[s + 1]!, limit = axis === 0 ? halfX : halfY;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const dp = limit - sign * polygon[2 * i + axis]!, dq = limit - sign * polygon[2 * j + axis]!;
      if (dp >= 0) {
        clipped[2 * m] = polygon[2 * i]!;
        clipped[2 * m + 1] = polygon[2 * i + 1]!;
        m++;
      }
      if (dp >= 0 !== dq >= 0) {
        const t = dp / (dp - dq);
        clipped[2 * m] = polygon[2 * i]! + t * (polygon[2 * j]! - polygon[2 * i]!);
        clipped[2 * m + 1] = polygon[2 * i + 1]! + t * (polygon[2 * j + 1]! - polygon[2 * i + 1]!);
        m++;
      }
    }
    [polygon, clipped] = [clipped, polygon];
    n = m;
    if (n < 3) return false;
  }
  out.x0 = out.y0 = Infinity;
  out.x1 = out.y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = polygon[2 * i]!, y = polygon[2 * i + 1]!;
    if (x < out.x0) out.x0 = x;
    if (x > out.x1) out.x1 = x;
    if (y < out.y0) out.y0 = y;
    if (y > out.y1) out.y1 = y;
  }
  return true;
}

/** Index range [first, last] of the grid lines in `lines` (ascending) that covers [lo, hi] (at least one cell). */
export function gridRange(lines: readonly number[], lo: number, hi: number): [number, number] {
  let first = 0;
  while (first + 1 < lines.length - 1 && lines[first + 1]! <= lo) first++;
  let last = lines.length - 1;
  while (last - 1 > first && lines[last - 1]! >= hi) last--;
  return [first, last];
}
