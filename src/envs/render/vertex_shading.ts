/**
 * Per-vertex work for one geom: transform to camera space and Gouraud lighting (OpenGL fixed-function model:
 * emission + ambient + diffuse * max(n.l, 0) + specular * max(n.h, 0)^(128 shininess), per light, with distance
 * attenuation and spot cones).
 */
import { DIRECTIONAL, MAIN_PASS, type FrameLights } from './lights.js';
import type { Rasterizer } from './rasterizer.js';
import type { GeomMesh } from './tessellate.js';

/** A geom's surface: base colour (rgb in [0, 1]) and material specular, shininess and emission. */
export interface Surface {
  r: number;
  g: number;
  b: number;
  specular: number;
  shininess: number;
  emission: number;
}

/**
 * Writes camera-space positions and lit colours of `mesh`'s vertices into `ras`'s vertex arrays, from the lights
 * of `pass` (emission belongs to the main pass). `modelView` is [12]: the row-major 3x3 model-to-camera
 * rotation, then the translation. Untextured colours are 0-255; textured ones are the 0-1 lit colour that
 * multiplies the texel (the texture modulates everything).
 */
export function shadeVertices(
  ras: Rasterizer,
  mesh: GeomMesh,
  modelView: Float64Array,
  lights: FrameLights,
  surface: Surface,
  textured: boolean,
  pass: number,
): void {
  const { cx, cy, cz, cr, cg, cb } = ras;
  const { positions, normals, vertexCount } = mesh;
  const m = modelView;
  const m0 = m[0]!, m1 = m[1]!, m2 = m[2]!, m3 = m[3]!, m4 = m[4]!, m5 = m[5]!, m6 = m[6]!, m7 = m[7]!, m8 = m[8]!;
  const t0 = m[9]!, t1 = m[10]!, t2 = m[11]!;
  const L = lights;
  const lightCount = L.count, kind = L.kind, vec = L.vec, spotDir = L.spotDir, spotCos = L.spotCos;
  const spotExponent = L.spotExponent, atten = L.attenuation, lAmb = L.ambient, lDif = L.diffuse, lSpec = L.specular;
  const lightPass = L.pass;
  const { r: baseR, g: baseG, b: baseB, specular, shininess } = surface;
  const emission = pass === MAIN_PASS ? surface.emission : 0;
  const exponent = shininess * 128;
  const emR = emission * baseR, emG = emission * baseG, emB = emission * baseB;
  for (let v = 0; v < vertexCount; v++) {
    const lx = positions[3 * v]!, ly = positions[3 * v + 1]!, lz = positions[3 * v + 2]!;
    const x = m0 * lx + m1 * ly + m2 * lz + t0;
    const y = m3 * lx + m4 * ly + m5 * lz + t1;
    const z = m6 * lx + m7 * ly + m8 * lz + t2;
    cx[v] = x;
    cy[v] = y;
    cz[v] = z;
    const nlx = normals[3 * v]!, nly = normals[3 * v + 1]!, nlz = normals[3 * v + 2]!;
    const nx = m0 * nlx + m1 * nly + m2 * nlz;
    const ny = m3 * nlx + m4 * nly + m5 * nlz;
    const nz = m6 * nlx + m7 * nly + m8 * nlz;
    const invDist = 1 / (Math.sqrt(x * x + y * y + z * z) || 1e-12);
    let dr = 0, dg = 0, db = 0, sr = 0, sg = 0, sb = 0;
    for (let l = 0; l < lightCount; l++) {
      if (lightPass[l] !== pass) continue;
      let lxv = vec[3 * l]!, lyv = vec[3 * l + 1]!, lzv = vec[3 * l + 2]!;
      let factor = 1;
      if (kind[l] !== DIRECTIONAL) {
        lxv -= x;
        lyv -= y;
        lzv -= z;
        const dist = Math.sqrt(lxv * lxv + lyv * lyv + lzv * lzv) || 1e-12;
        lxv /= dist;
        lyv /= dist;
        lzv /= dist;
        const att = atten[3 * l]! + atten[3 * l + 1]! * dist + atten[3 * l + 2]! * dist * dist;
        factor = att > 0 ? 1 / att : 1;
        const cutoff = spotCos[l]!;
        if (cutoff > -2) {
          const cosAngle = -(lxv * spotDir[3 * l]! + lyv * spotDir[3 * l + 1]! + lzv * spotDir[3 * l + 2]!);
          factor = cosAngle < cutoff ? 0 : factor * Math.pow(cosAngle, spotExponent[l]!);
        }
      }
      if (factor === 0) continue;
      dr += lAmb[3 * l]! * factor;
      dg += lAmb[3 * l + 1]! * factor;
      db += lAmb[3 * l + 2]! * factor;
      const ndl = nx * lxv + ny * lyv + nz * lzv;
      if (ndl <= 0) continue;
      dr += lDif[3 * l]! * ndl * factor;
      dg += lDif[3 * l + 1]! * ndl * factor;
      db += lDif[3 * l + 2]! * ndl * factor;
      // Blinn-Phong with a local viewer (MuJoCo sets GL_LIGHT_MODEL_LOCAL_VIEWER): the half vector of the light
      // direction and the direction from the vertex to the eye at the origin.
      const hx = lxv - x * invDist, hy = lyv - y * invDist, hz = lzv - z * invDist;
      const ndh = (nx * hx + ny * hy + nz * hz) / (Math.sqrt(hx * hx + hy * hy + hz * hz) || 1);
      if (ndh > 0 && specular > 0) {
        const s = Math.pow(ndh, exponent) * factor;
        sr += lSpec[3 * l]! * s;
        sg += lSpec[3 * l + 1]! * s;
        sb += lSpec[3 * l + 2]! * s;
      }
    }
    if (textured) {
      // The texture modulates the whole lit colour (OpenGL's GL_MODULATE), specular and emission included, after
      // fixed-function GL has clamped that colour to 1.
      cr[v] = clamp1(baseR * dr + specular * sr + emR);
      cg[v] = clamp1(baseG * dg + specular * sg + emG);
      cb[v] = clamp1(baseB * db + specular * sb + emB);
    } else {
      cr[v] = clamp255((baseR * dr + specular * sr + emR) * 255);
      cg[v] = clamp255((baseG * dg + specular * sg + emG) * 255);
      cb[v] = clamp255((baseB * db + specular * sb + emB) * 255);
    }
  }
}

function clamp1(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
