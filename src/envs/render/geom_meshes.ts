/**
 * Triangle meshes for the model's geoms, tessellated once per shape and level of detail (segment count for
 * curved primitives) and shared by every geom of that shape.
 */
import type { MjModel } from '../mujoco.js';
import {
  segmentsForRadius,
  tessellateBox,
  tessellateCapsule,
  tessellateCylinder,
  tessellateEllipsoid,
  tessellateMeshAsset,
  tessellatePlane,
  tessellateSphere,
  type GeomMesh,
} from './tessellate.js';

/** MuJoCo's mjtGeom values. */
export const GEOM_PLANE = 0;
export const GEOM_SPHERE = 2;
export const GEOM_CAPSULE = 3;
export const GEOM_ELLIPSOID = 4;
export const GEOM_CYLINDER = 5;
export const GEOM_BOX = 6;
export const GEOM_MESH = 7;

/** Quads per side of a plane (finer cells give better per-vertex lighting and near clipping). */
const PLANE_CELLS = 10;

/** Per view: the mesh each geom used last and the shape (type, sizes, segments, far) it was built for. */
export class GeomLodCache {
  meshes: (GeomMesh | null)[] = [];
  shapes = new Float64Array(0);
}

export class GeomMeshLibrary {
  private readonly meshes = new Map<string, GeomMesh>();

  constructor(
    private readonly model: MjModel,
    /** Largest chord error of curved tessellations, in pixels. */
    private readonly maxErrorPx: number,
  ) {}

  /**
   * The local-frame mesh for geom `g` at the level of detail for `pixelsPerMetre` (at the geom's nearest depth),
   * or null for geom types that are not drawn. `lod` remembers each geom's last mesh for this view.
   */
  meshFor(g: number, type: number, sizes: Float64Array, far: number, pixelsPerMetre: number, lod: GeomLodCache): GeomMesh | null {
    const s0 = sizes[3 * g]!, s1 = sizes[3 * g + 1]!, s2 = sizes[3 * g + 2]!;
    const curved = type === GEOM_SPHERE || type === GEOM_CAPSULE || type === GEOM_CYLINDER || type === GEOM_ELLIPSOID;
    const segments = curved ? segmentsForRadius((type === GEOM_ELLIPSOID ? Math.max(s0, s1, s2) : s0) * pixelsPerMetre, this.maxErrorPx) : 0;
    if (lod.meshes.length <= g) {
      lod.meshes = new Array<GeomMesh | null>(this.model.ngeom).fill(null);
      lod.shapes = new Float64Array(this.model.ngeom * 6).fill(NaN);
    }
    const shape = lod.shapes;
    const cached = lod.meshes[g];
    if (cached && shape[6 * g] === type && shape[6 * g + 1] === s0 && shape[6 * g + 2] === s1 && shape[6 * g + 3] === s2 &&
        shape[6 * g + 4] === segments && shape[6 * g + 5] === far) {
      return cached;
    }
    const mesh = this.build(g, type, s0, s1, s2, segments, far);
    lod.meshes[g] = mesh;
    shape.set([type, s0, s1, s2, segments, far], 6 * g);
    return mesh;
  }

  /** Tessellates (or fetches from the shape cache) the mesh of geom `g`. */
  private build(g: number, type: number, s0: number, s1: number, s2: number, n: number, far: number): GeomMesh | null {
    let key: string;
    let build: () => GeomMesh;
    switch (type) {
      case GEOM_PLANE: {
        // Size 0 means an infinite plane: draw it out to the far clipping distance.
        const hx = s0 > 0 ? s0 : far, hy = s1 > 0 ? s1 : far;
        key = `plane:${hx}:${hy}`;
        build = () => tessellatePlane(hx, hy, PLANE_CELLS);
        break;
      }
      case GEOM_BOX:
        key = `box:${s0}:${s1}:${s2}`;
        build = () => tessellateBox(s0, s1, s2);
        break;
      case GEOM_SPHERE: {
        key = `sphere:${s0}:${n}`;
        build = () => tessellateSphere(s0, n);
        break;
      }
      case GEOM_CAPSULE: {
        key = `capsule:${s0}:${s1}:${n}`;
        build = () => tessellateCapsule(s0, s1, n);
        break;
      }
      case GEOM_CYLINDER: {
        key = `cylinder:${s0}:${s1}:${n}`;
        build = () => tessellateCylinder(s0, s1, n);
        break;
      }
      case GEOM_ELLIPSOID: {
        key = `ellipsoid:${s0}:${s1}:${s2}:${n}`;
        build = () => tessellateEllipsoid(s0, s1, s2, n);
        break;
      }
      case GEOM_MESH: {
        const meshId = (this.model.geom_dataid as Int32Array)[g]!;
        if (meshId < 0) return null;
        key = `mesh:${meshId}`;
        build = () => this.meshAsset(meshId);
        break;
      }
      default:
        return null;
    }
    let mesh = this.meshes.get(key);
    if (!mesh) {
      mesh = build();
      this.meshes.set(key, mesh);
    }
    return mesh;
  }

  /** A mesh asset's triangles (flat normals, texcoords when present). */
  private meshAsset(meshId: number): GeomMesh {
    const model = this.model;
    const vertAdr = (model.mesh_vertadr as Int32Array)[meshId]!;
    const vertNum = (model.mesh_vertnum as Int32Array)[meshId]!;
    const faceAdr = (model.mesh_faceadr as Int32Array)[meshId]!;
    const faceNum = (model.mesh_facenum as Int32Array)[meshId]!;
    const vertices = (model.mesh_vert as Float32Array).slice(3 * vertAdr, 3 * (vertAdr + vertNum));
    const faces = (model.mesh_face as Int32Array).slice(3 * faceAdr, 3 * (faceAdr + faceNum));
    const texAdr = (model.mesh_texcoordadr as Int32Array)[meshId]!;
    const texNum = (model.mesh_texcoordnum as Int32Array)[meshId]!;
    const texcoords =
      texAdr >= 0 && texNum > 0
        ? {
            coords: (model.mesh_texcoord as Float32Array).slice(2 * texAdr, 2 * (texAdr + texNum)),
            faces: (model.mesh_facetexcoord as Int32Array).slice(3 * faceAdr, 3 * (faceAdr + faceNum)),
          }
        : undefined;
    return tessellateMeshAsset(vertices, faces, texcoords);
  }
}
