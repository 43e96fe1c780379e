/**
 * Triangle meshes for MuJoCo geom primitives, in the geom's local frame. Every triangle is counter-clockwise seen
 * from outside (its right-handed normal points out of the solid), which the rasteriser relies on for back-face
 * culling. Curved primitives take a segment count so callers can pick a level of detail.
 */

/** A triangle mesh in a geom's local frame. */
export interface GeomMesh {
  /** [V, 3] positions in metres. */
  positions: Float32Array;
  /** [V, 3] unit normals (smooth for curved surfaces, per face for flat ones). */
  normals: Float32Array;
  /** [T, 3] vertex indices, counter-clockwise seen from outside. */
  indices: Uint32Array;
  /** [V, 2] texture coordinates, only for mesh assets that carry them. */
  uvs?: Float32Array;
  vertexCount: number;
  triangleCount: number;
}

/** One ring of a surface of revolution about z: radius, height and the (radial, z) components of its normal. */
interface ProfilePoint {
  rho: number;
  z: number;
  nRho: number;
  nZ: number;
}

/**
 * Revolves strips of profile points about the z axis with `segments` steps. Within a strip, consecutive points
 * must run so that (next - current) x east points outwards (e.g. from north pole to south pole on a sphere).
 */
function revolve(strips: ProfilePoint[][], segments: number): GeomMesh {
  let vertexCount = 0;
  let triangleCount = 0;
  for (const strip of strips) {
    vertexCount += strip.length * segments;
    triangleCount += (strip.length - 1) * segments * 2;
  }
  const positions = new Float32Array(vertexCount * 3);
  const normals = new Float32Array(vertexCount * 3);
  const indices = new Uint32Array(triangleCount * 3);
  const cos = new Float64Array(segments);
  const sin = new Float64Array(segments);
  for (let j = 0; j < segments; j++) {
    const phi = (2 * Math.PI * j) / segments;
    cos[j] = Math.cos(phi);
    sin[j] = Math.sin(phi);
  }
  let v = 0;
  let t = 0;
  for (const strip of strips) {
    const first = v;
    for (const p of strip) {
      for (let j = 0; j < segments; j++, v++) {
        positions[3 * v] = p.rho * cos[j]!;
        positions[3 * v + 1] = p.rho * sin[j]!;
        positions[3 * v + 2] = p.z;
        normals[3 * v] = p.nRho * cos[j]!;
        normals[3 * v + 1] = p.nRho * sin[j]!;
        normals[3 * v + 2] = p.nZ;
      }
    }
    for (let i = 0; i + 1 < strip.length; i++) {
      for (let j = 0; j < segments; j++) {
        const jn = (j + 1) % segments;
        const a = first + i * segments + j;
        const b = first + (i + 1) * segments + j;
        const c = first + (i + 1) * segments + jn;
        const d = first + i * segments + jn;
        indices[t++] = a;
        indices[t++] = b;
        indices[t++] = c;
        indices[t++] = a;
        indices[t++] = c;
        indices[t++] = d;
      }
    }
  }
  return dropDegenerate({ positions, normals, indices, vertexCount, triangleCount });
}

/** Removes zero-area triangles (at poles and cap centres) so the rasteriser never sees them. */
function dropDegenerate(mesh: GeomMesh): GeomMesh {
  const { positions: p, indices } = mesh;
  const kept = new Uint32Array(indices.length);
  let n = 0;
  for (let t = 0; t < mesh.triangleCount; t++) {
    const a = 3 * indices[3 * t]!;
    const b = 3 * indices[3 * t + 1]!;
    const c = 3 * indices[3 * t + 2]!;
    const e1x = p[b]! - p[a]!, e1y = p[b + 1]! - p[a + 1]!, e1z = p[b + 2]! - p[a + 2]!;
    const e2x = p[c]! - p[a]!, e2y = p[c + 1]! - p[a + 1]!, e2z = p[c + 2]! - p[a + 2]!;
    const cx = e1y * e2z - e1z * e2y, cy = e1z * e2x - e1x * e2z, cz = e1x * e2y - e1y * e2x;
    if (cx * cx + cy * cy + cz * cz <= 1e-24) continue;
    kept[n++] = indices[3 * t]!;
    kept[n++] = indices[3 * t + 1]!;
    kept[n++] = indices[3 * t + 2]!;
  }
  return { ...mesh, indices: kept.slice(0, n), triangleCount: n / 3 };
}

/** Points of a unit-sphere arc from polar angle theta0 to theta1 (0 = north pole), `steps` intervals. */
function sphereArc(radius: number, zOffset: number, theta0: number, theta1: number, steps: number): ProfilePoint[] {
  const points: ProfilePoint[] = [];
  for (let i = 0; i <= steps; i++) {
    const theta = theta0 + ((theta1 - theta0) * i) / steps;
    const s = Math.sin(theta);
    const c = Math.cos(theta);
    points.push({ rho: radius * s, z: zOffset + radius * c, nRho: s, nZ: c });
  }
  return points;
}

/** Sphere of `radius` centred at the origin; `segments` around the equator, segments/2 rings. */
export function tessellateSphere(radius: number, segments: number): GeomMesh {
  return revolve([sphereArc(radius, 0, 0, Math.PI, Math.max(2, segments >> 1))], segments);
}

/** Axis-aligned ellipsoid with semi-axes (a, b, c): a scaled unit sphere with normals transformed by the inverse. */
export function tessellateEllipsoid(a: number, b: number, c: number, segments: number): GeomMesh {
  const mesh = tessellateSphere(1, segments);
  const { positions, normals } = mesh;
  for (let v = 0; v < mesh.vertexCount; v++) {
    positions[3 * v] *= a;
    positions[3 * v + 1] *= b;
    positions[3 * v + 2] *= c;
    const nx = normals[3 * v]! / a, ny = normals[3 * v + 1]! / b, nz = normals[3 * v + 2]! / c;
    const inv = 1 / Math.hypot(nx, ny, nz);
    normals[3 * v] = nx * inv;
    normals[3 * v + 1] = ny * inv;
    normals[3 * v + 2] = nz * inv;
  }
  return mesh;
}

/** `steps` + 1 evenly spaced points on a straight side from (rho, z0) to (rho, z1) with radial normals. */
function side(radius: number, z0: number, z1: number, steps: number): ProfilePoint[] {
  const points: ProfilePoint[] = [];
  for (let i = 0; i <= steps; i++) points.push({ rho: radius, z: z0 + ((z1 - z0) * i) / steps, nRho: 1, nZ: 0 });
  return points;
}

/** `steps` + 1 rings of a flat disk at height z facing `nZ` (+1 or -1), from the centre out or back. */
function disk(radius: number, z: number, nZ: number, steps: number, outwards: boolean): ProfilePoint[] {
  const points: ProfilePoint[] = [];
  for (let i = 0; i <= steps; i++) points.push({ rho: (radius * (outwards ? i : steps - i)) / steps, z, nRho: 0, nZ });
  return points;
}

/**
 * Capsule along z: cylinder of `radius` and half-length `halfLength` closed by two hemispheres. The cylinder is
 * split into `stacks` rings along its length, as native MuJoCo's is, so per-vertex lighting from nearby lights
 * varies along it the same way.
 */
export function tessellateCapsule(radius: number, halfLength: number, segments: number, stacks = 1): GeomMesh {
  const quarter = Math.max(1, segments >> 2);
  const top = sphereArc(radius, halfLength, 0, Math.PI / 2, quarter);
  const bottom = sphereArc(radius, -halfLength, Math.PI / 2, Math.PI, quarter);
  const middle = side(radius, halfLength, -halfLength, Math.max(1, stacks)).slice(1, -1);
  return revolve([[...top, ...middle, ...bottom]], segments);
}

/** Cylinder along z with flat caps; the side has `stacks` rings and each cap `stacks / 2`, as native MuJoCo's. */
export function tessellateCylinder(radius: number, halfLength: number, segments: number, stacks = 1): GeomMesh {
  const h = halfLength;
  const capRings = Math.max(1, stacks >> 1);
  return revolve([disk(radius, h, 1, capRings, true), side(radius, h, -h, Math.max(1, stacks)), disk(radius, -h, -1, capRings, false)], segments);
}

/**
 * The faces of native MuJoCo's box: outward axis and sign, the in-face axes (p, q) with p x q outward, and whether
 * its quads run from q = +1 down (so that the quad's first vertex, which decides the triangle split, matches).
 */
const BOX_FACES: readonly { axis: number; sign: number; p: number; q: number; qDown: boolean }[] = [
  { axis: 2, sign: 1, p: 0, q: 1, qDown: false },
  { axis: 2, sign: -1, p: 0, q: 1, qDown: true },
  { axis: 0, sign: 1, p: 1, q: 2, qDown: false },
  { axis: 0, sign: -1, p: 1, q: 2, qDown: true },
  { axis: 1, sign: -1, p: 0, q: 2, qDown: false },
  { axis: 1, sign: 1, p: 0, q: 2, qDown: true },
];

/**
 * Box with half-sizes (sx, sy, sz) and flat normals; each face is `quads` x `quads` cells (native MuJoCo uses
 * vis.quality.numquads), split into triangles as Mesa splits them, so per-vertex lighting from nearby lights
 * varies across a face the same way.
 */
export function tessellateBox(sx: number, sy: number, sz: number, quads = 1): GeomMesh {
  const n = Math.max(1, Math.floor(quads));
  const perFace = 4 * n * n;
  const positions = new Float32Array(6 * perFace * 3);
  const normals = new Float32Array(6 * perFace * 3);
  const indices = new Uint32Array(6 * n * n * 6);
  const half = [sx, sy, sz];
  const at = (k: number) => -1 + (2 * k) / n;
  let v = 0;
  let t = 0;
  for (const { axis, sign, p, q, qDown } of BOX_FACES) {
    for (let x = 0; x < n; x++) {
      for (let y = 0; y < n; y++) {
        // Quad corners in native order: (p0, q0), (p1, q0), (p1, q1), (p0, q1), with q0 > q1 on qDown faces.
        const q0 = qDown ? at(y + 1) : at(y), q1 = qDown ? at(y) : at(y + 1);
        const corners = [[at(x), q0], [at(x + 1), q0], [at(x + 1), q1], [at(x), q1]] as const;
        const first = v;
        for (const [cp, cq] of corners) {
          positions[3 * v + axis] = sign * half[axis]!;
          positions[3 * v + p] = cp * half[p]!;
          positions[3 * v + q] = cq * half[q]!;
          normals[3 * v + axis] = sign;
          v++;
        }
        indices.set([first, first + 1, first + 3, first + 1, first + 2, first + 3], t);
        t += 6;
      }
    }
  }
  return { positions, normals, indices, vertexCount: 6 * perFace, triangleCount: 6 * n * n * 2 };
}

/** mjMAXPLANEGRID: native MuJoCo's largest number of grid cells per plane side. */
const MAX_PLANE_GRID = 200;

/**
 * Grid lines along one side of a plane, as native MuJoCo's makePlane lays them (its per-vertex lighting follows
 * this grid). A finite side of half-size `halfSize` gets cells of 2 * `spacing` (the geom's third size, widened to
 * fit at most 198 cells) centred on the origin, with the remainder as two edge cells. An infinite side (size 0)
 * gets 200 cells over 2.1 `zfar`, one texture image (2 / `repeat`) wider, when the material repeats.
 */
export function planeGridLines(halfSize: number, spacing: number, repeat: number, zfar: number): number[] {
  if (!(halfSize > 0)) {
    const cell = repeat > 0 ? 2 / repeat : (2.1 * zfar) / (MAX_PLANE_GRID - 2);
    const d = (2.1 * zfar + 2 * cell) / MAX_PLANE_GRID;
    return Array.from({ length: MAX_PLANE_GRID + 1 }, (_, x) => d * x - d * (MAX_PLANE_GRID / 2));
  }
  const step = Math.max(spacing, halfSize / (MAX_PLANE_GRID - 2));
  let cells = Math.floor(halfSize / Math.max(1e-15, step));
  cells -= cells % 2;
  const pad = halfSize - cells * step;
  cells += 2;
  const lines = [-halfSize];
  for (let x = 0; x < cells; x++) {
    const left = x === 0 ? -halfSize : -halfSize + pad + (x - 1) * step * 2;
    const right = x === 0 ? left + pad : left + (x === cells - 1 ? pad : step * 2);
    lines.push(Math.max(left, right));
  }
  // Zero-width edge cells (no remainder) would only add degenerate triangles.
  return lines.filter((value, i) => i === 0 || value > lines[i - 1]!);
}

/**
 * Plane z = 0 over the grid of `xLines` x `yLines` (ascending coordinates), two triangles per cell, split as Mesa
 * splits native MuJoCo's GL_QUADS (v0, v1, v3) + (v1, v2, v3), which decides how per-vertex lighting interpolates.
 */
export function tessellatePlane(xLines: readonly number[], yLines: readonly number[]): GeomMesh {
  const nx = xLines.length, ny = yLines.length;
  const vertexCount = nx * ny;
  const positions = new Float32Array(vertexCount * 3);
  const normals = new Float32Array(vertexCount * 3);
  const cells = (nx - 1) * (ny - 1);
  const indices = new Uint32Array(cells * 6);
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const v = i * nx + j;
      positions[3 * v] = xLines[j]!;
      positions[3 * v + 1] = yLines[i]!;
      normals[3 * v + 2] = 1;
    }
  }
  let t = 0;
  for (let i = 0; i + 1 < ny; i++) {
    for (let j = 0; j + 1 < nx; j++) {
      const a = i * nx + j;
      indices.set([a, a + 1, a + nx, a + 1, a + nx + 1, a + nx], t);
      t += 6;
    }
  }
  return { positions, normals, indices, vertexCount, triangleCount: cells * 2 };
}

/**
 * A mesh asset with flat per-face normals, unrolled so each face owns its three vertices.
 * `vertices` [nvert, 3] and `faces` [nface, 3] are the model's mesh_vert / mesh_face slices.
 */
export function tessellateMeshAsset(
  vertices: Float32Array,
  faces: Int32Array,
  texcoords?: { coords: Float32Array; faces: Int32Array },
): GeomMesh {
  const faceCount = faces.length / 3;
  const uvs = texcoords ? new Float32Array(faceCount * 6) : undefined;
  if (uvs && texcoords) {
    for (let i = 0; i < faceCount * 3; i++) {
      const src = 2 * texcoords.faces[i]!;
      uvs[2 * i] = texcoords.coords[src] ?? 0;
      uvs[2 * i + 1] = texcoords.coords[src + 1] ?? 0;
    }
  }
  const positions = new Float32Array(faceCount * 9);
  const normals = new Float32Array(faceCount * 9);
  const indices = new Uint32Array(faceCount * 3);
  for (let f = 0; f < faceCount; f++) {
    for (let k = 0; k < 3; k++) {
      const src = 3 * faces[3 * f + k]!;
      if (src < 0 || src + 2 >= vertices.length) throw new Error(`mesh face ${f} refers to vertex ${src / 3}, out of range`);
      positions[9 * f + 3 * k] = vertices[src]!;
      positions[9 * f + 3 * k + 1] = vertices[src + 1]!;
      positions[9 * f + 3 * k + 2] = vertices[src + 2]!;
      indices[3 * f + k] = 3 * f + k;
    }
    const p = 9 * f;
    const e1x = positions[p + 3]! - positions[p]!, e1y = positions[p + 4]! - positions[p + 1]!, e1z = positions[p + 5]! - positions[p + 2]!;
    const e2x = positions[p + 6]! - positions[p]!, e2y = positions[p + 7]! - positions[p + 1]!, e2z = positions[p + 8]! - positions[p + 2]!;
    let nx = e1y * e2z - e1z * e2y, ny = e1z * e2x - e1x * e2z, nz = e1x * e2y - e1y * e2x;
    const len = Math.hypot(nx, ny, nz) || 1;
    nx /= len;
    ny /= len;
    nz /= len;
    for (let k = 0; k < 3; k++) {
      normals[p + 3 * k] = nx;
      normals[p + 3 * k + 1] = ny;
      normals[p + 3 * k + 2] = nz;
    }
  }
  return dropDegenerate({ positions, normals, indices, uvs, vertexCount: faceCount * 3, triangleCount: faceCount });
}

/** Segment count keeping the chord error of a circle of `radiusPx` pixels under `maxErrorPx`; a power-of-2-ish ladder. */
export const SEGMENT_LADDER = [8, 12, 16, 24, 32, 48, 64, 96, 128] as const;

export function segmentsForRadius(radiusPx: number, maxErrorPx: number): number {
  for (const n of SEGMENT_LADDER) {
    if (radiusPx * (1 - Math.cos(Math.PI / n)) <= maxErrorPx) return n;
  }
  return SEGMENT_LADDER[SEGMENT_LADDER.length - 1]!;
}
