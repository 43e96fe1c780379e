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
  planeGridLines,
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


/** Values per geom in `GeomLodCache.shapes`: type, three sizes, segments, cells. */
const SHAPE_KEY = 6;

/**
 * Per view: the mesh each geom used last and the shape (type, sizes, segments, cells) it was built for; for
 * planes, the grid-line ranges of the visible window.
 */
export class GeomLodCache {
  meshes: (GeomMesh | null)[] = [];
  shapes = new Float64Array(0);
  planeWindows = new Int32Array(0);
}

/** A plane's grid lines along x and y (ascending, in its frame). */
export interface PlaneGrid {
  x: readonly number[];
  y: readonly number[];
}

/**
 * Pixels per cell along flat directions: native MuJoCo's 16 stacks per cylinder and 4 x 4 quads per box face are
 * used where a geom is large on screen; a smaller one gets fewer, one per this many pixels (a power of two),
 * since lighting barely varies across a few dozen pixels and triangles are what frames cost (32 and 8 px per
 * cell give the same difference to native on every task, at half the triangles).
 */
const CELL_PX = 32;

/**
 * Most grid cells a plane's visible window is drawn with per side. A wide window (a floor seen from afar, an
 * infinite plane) keeps every k-th of native's grid lines, counted from the grid's first line so that the choice
 * does not shift as the window moves: the vertices stay native's, the cells get coarser.
 */
const MAX_WINDOW_CELLS = 8;

/** Grid lines [first, last] of `lines`, thinned to at most MAX_WINDOW_CELLS cells. */
function windowLines(lines: readonly number[], first: number, last: number): number[] {
  const stride = Math.ceil((last - first) / MAX_WINDOW_CELLS);
  if (stride <= 1) return lines.slice(first, last + 1);
  const start = Math.floor(first / stride) * stride, end = Math.min(lines.length - 1, Math.ceil(last / stride) * stride);
  const kept: number[] = [];
  for (let i = start; i < end; i += stride) kept.push(lines[i]!);
  kept.push(lines[end]!);
  return kept;
}

/** Cells along a flat extent of `lengthPx` pixels: a power of two, at most `maxCells`. */
function cellsFor(lengthPx: number, maxCells: number): number {
  let cells = 1;
  while (cells * 2 <= maxCells && cells * CELL_PX < lengthPx) cells *= 2;
  return Math.min(cells, maxCells);
}

/**
 * Meshes per geom shape. Curved primitives take their segment count around the axis from the level of detail;
 * along flat directions (planes, box faces, cylinder sides) they follow native MuJoCo's tessellation (the plane
 * grid, vis.quality.numquads, vis.quality.numstacks), because per-vertex lighting from nearby lights is
 * interpolated over exactly those cells.
 */
export class GeomMeshLibrary {
  private readonly meshes = new Map<string, GeomMesh>();
  /** Per plane geom: its grid and what it was laid out for. */
  private readonly planeGrids: ({ grid: PlaneGrid; s0: number; s1: number; s2: number; repeatX: number; repeatY: number; far: number } | undefined)[] = [];
  private readonly boxQuads: number;
  private readonly stacks: number;

  constructor(
    private readonly model: MjModel,
    /** Largest chord error of curved tessellations, in pixels. */
    private readonly maxErrorPx: number,
  ) {
    const vis = model.vis, quality = vis.quality;
    this.boxQuads = Math.max(1, quality.numquads);
    this.stacks = Math.max(1, quality.numstacks);
    quality.delete();
    vis.delete();
  }

  /**
   * The local-frame mesh for geom `g` at the level of detail for `pixelsPerMetre` (at the geom's nearest depth),
   * or null for planes (drawn over their visible cells, see `planeCells`) and geom types that are not drawn.
   * `lod` remembers each geom's last mesh for this view.
   */
  meshFor(g: number, type: number, sizes: Float64Array, pixelsPerMetre: number, lod: GeomLodCache): GeomMesh | null {
    const s0 = sizes[3 * g]!, s1 = sizes[3 * g + 1]!, s2 = sizes[3 * g + 2]!;
    const curved = type === GEOM_SPHERE || type === GEOM_CAPSULE || type === GEOM_CYLINDER || type === GEOM_ELLIPSOID;
    const segments = curved ? segmentsForRadius((type === GEOM_ELLIPSOID ? Math.max(s0, s1, s2) : s0) * pixelsPerMetre, this.maxErrorPx) : 0;
    const cells =
      type === GEOM_BOX
        ? cellsFor(2 * Math.max(s0, s1, s2) * pixelsPerMetre, this.boxQuads)
        : type === GEOM_CAPSULE || type === GEOM_CYLINDER
          ? cellsFor(2 * s1 * pixelsPerMetre, this.stacks)
          : 0;
    this.prepare(lod);
    const shape = lod.shapes, k = SHAPE_KEY * g;
    const cached = lod.meshes[g];
    if (cached && shape[k] === type && shape[k + 1] === s0 && shape[k + 2] === s1 && shape[k + 3] === s2 &&
        shape[k + 4] === segments && shape[k + 5] === cells) {
      return cached;
    }
    const mesh = this.build(g, type, s0, s1, s2, segments, cells);
    lod.meshes[g] = mesh;
    shape.set([type, s0, s1, s2, segments, cells], k);
    return mesh;
  }

  private prepare(lod: GeomLodCache): void {
    if (lod.meshes.length === this.model.ngeom) return;
    lod.meshes = new Array<GeomMesh | null>(this.model.ngeom).fill(null);
    lod.shapes = new Float64Array(this.model.ngeom * SHAPE_KEY).fill(NaN);
    lod.planeWindows = new Int32Array(this.model.ngeom * 4).fill(-1);
  }

  /**
   * Plane geom `g`'s grid lines, laid out as native MuJoCo lays them (an infinite side reaches past `far`).
   * `repeat` is the model's mat_texrepeat.
   */
  planeGrid(g: number, sizes: Float64Array, matIds: Int32Array, repeat: Float32Array, far: number): PlaneGrid {
    const s0 = sizes[3 * g]!, s1 = sizes[3 * g + 1]!, s2 = sizes[3 * g + 2]!;
    const matId = matIds[g]!;
    const repeatX = matId >= 0 ? repeat[2 * matId]! : 0, repeatY = matId >= 0 ? repeat[2 * matId + 1]! : 0;
    const cached = this.planeGrids[g];
    if (cached && cached.s0 === s0 && cached.s1 === s1 && cached.s2 === s2 && cached.repeatX === repeatX && cached.repeatY === repeatY && cached.far === far) {
      return cached.grid;
    }
    const grid = { x: planeGridLines(s0, s2, repeatX, far), y: planeGridLines(s1, s2, repeatY, far) };
    this.planeGrids[g] = { grid, s0, s1, s2, repeatX, repeatY, far };
    return grid;
  }

  /** The cells of plane `g`'s grid between lines [x0, x1] and [y0, y1] (indices into `grid`). */
  planeCells(g: number, grid: PlaneGrid, x0: number, x1: number, y0: number, y1: number, lod: GeomLodCache): GeomMesh {
    this.prepare(lod);
    const w = lod.planeWindows, k = 4 * g;
    const cached = lod.meshes[g];
    if (cached && (lod.shapes[SHAPE_KEY * g] as number) === GEOM_PLANE && w[k] === x0 && w[k + 1] === x1 && w[k + 2] === y0 && w[k + 3] === y1) return cached;
    const mesh = tessellatePlane(windowLines(grid.x, x0, x1), windowLines(grid.y, y0, y1));
    lod.meshes[g] = mesh;
    lod.shapes.fill(NaN, SHAPE_KEY * g, SHAPE_KEY * (g + 1));
    lod.shapes[SHAPE_KEY * g] = GEOM_PLANE;
    w.set([x0, x1, y0, y1], k);
    return mesh;
  }

  /**
   * Tessellates (or fetches from the shape cache) the mesh of geom `g`: `n` segments around curved primitives,
   * `cells` along box faces and cylinder sides.
   */
  private build(g: number, type: number, s0: number, s1: number, s2: number, n: number, cells: number): GeomMesh | null {
    let key: string;
    let build: () => GeomMesh;
    switch (type) {
      case GEOM_BOX:
        key = `box:${s0}:${s1}:${s2}:${cells}`;
        build = () => tessellateBox(s0, s1, s2, cells);
        break;
      case GEOM_SPHERE: {
        key = `sphere:${s0}:${n}`;
        build = () => tessellateSphere(s0, n);
        break;
      }
      case GEOM_CAPSULE: {
        key = `capsule:${s0}:${s1}:${n}:${cells}`;
        build = () => tessellateCapsule(s0, s1, n, cells);
        break;
      }
      case GEOM_CYLINDER: {
        key = `cylinder:${s0}:${s1}:${n}:${cells}`;
        build = () => tessellateCylinder(s0, s1, n, cells);
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
