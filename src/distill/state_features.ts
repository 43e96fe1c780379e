/**
 * The privileged observation a distilled state policy sees, read generically from the model's joints (as
 * dm_control's state observations are built): every joint's position and velocity, except that
 *   - an unlimited horizontal slide (a planar root's x) gives only its velocity: where the body is along the
 *     floor does not change what to do, and positions there grow without bound;
 *   - an unlimited hinge gives the cosine and sine of its angle instead of the angle (it wraps around);
 *   - free and ball joints give their position and quaternion as stored.
 */
import type { Physics } from '../envs/mujoco.js';

const FREE = 0;
const BALL = 1;
const SLIDE = 2;
const HINGE = 3;

type PositionEncoding = { kind: 'raw'; address: number; size: number } | { kind: 'angle'; address: number } | { kind: 'none' };

export class StateFeatures {
  /** Length of the feature vector. */
  readonly dim: number;
  private readonly positions: PositionEncoding[] = [];

  constructor(physics: Physics) {
    const { model } = physics;
    const types = model.jnt_type as Int32Array;
    const ranges = model.jnt_range as Float64Array;
    const axes = model.jnt_axis as Float64Array;
    const qposAdr = model.jnt_qposadr as Int32Array;
    let dim = model.nv;
    for (let j = 0; j < model.njnt; j++) {
      const type = types[j]!;
      // The binding cannot read jnt_limited (a byte array); unlimited joints have an empty range.
      const limited = ranges[2 * j]! < ranges[2 * j + 1]!;
      const address = qposAdr[j]!;
      if (type === FREE || type === BALL) {
        const size = type === FREE ? 7 : 4;
        this.positions.push({ kind: 'raw', address, size });
        dim += size;
      } else if (type === SLIDE && !limited && Math.abs(axes[3 * j + 2]!) < 0.5) {
        this.positions.push({ kind: 'none' });
      } else if (type === HINGE && !limited) {
        this.positions.push({ kind: 'angle', address });
        dim += 2;
      } else {
        this.positions.push({ kind: 'raw', address, size: 1 });
        dim += 1;
      }
    }
    this.dim = dim;
  }

  /** Writes the features of `physics`'s current state into `out` [dim]. */
  read(physics: Physics, out: Float64Array): Float64Array {
    const qpos = physics.views.qpos;
    const qvel = physics.views.qvel;
    let i = 0;
    for (const p of this.positions) {
      if (p.kind === 'raw') for (let k = 0; k < p.size; k++) out[i++] = qpos[p.address + k]!;
      else if (p.kind === 'angle') {
        out[i++] = Math.cos(qpos[p.address]!);
        out[i++] = Math.sin(qpos[p.address]!);
      }
    }
    for (let k = 0; k < qvel.length; k++) out[i++] = qvel[k]!;
    return out;
  }
}
