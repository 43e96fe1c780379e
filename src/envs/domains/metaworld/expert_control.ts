/** Shared pieces of the scripted MetaWorld experts: steering the mocap target so the tool centre reaches a point. */
import type { Vec3 } from '../../scene.js';
import { MOCAP_STEP, TCP_OFFSET, type ArmHandles } from './arm.js';

/**
 * Action [dx, dy, dz, grip] that moves the mocap target towards where it must be for the tool centre point to sit
 * at `tcpTarget`: up to `speed` (1 = 1 cm/step) per axis when far, proportional within the last step, so the target
 * stops exactly there instead of oscillating around it.
 */
export function reachAction(arm: ArmHandles, tcpTarget: Vec3, grip: number, speed = 1): Float64Array {
  const mocap = arm.mocapPos();
  const action = new Float64Array(4);
  for (let i = 0; i < 3; i++) {
    const step = (tcpTarget[i]! - TCP_OFFSET[i]! - mocap[i]!) / MOCAP_STEP;
    action[i] = Math.max(-speed, Math.min(speed, step));
  }
  action[3] = grip;
  return action;
}

/** Action that moves the mocap target by `offset` (metres, clipped to 1 cm per axis) with the given grip. */
export function moveAction(offset: Vec3, grip: number): Float64Array {
  const action = new Float64Array(4);
  for (let i = 0; i < 3; i++) action[i] = Math.max(-1, Math.min(1, offset[i]! / MOCAP_STEP));
  action[3] = grip;
  return action;
}

const UP: Vec3 = [0, 0, 1];

/**
 * Whether `p` is within `across` of `target` perpendicular to the unit vector `axis` and within `along` along it
 * (by default: horizontally and vertically).
 */
export function near(p: Vec3, target: Vec3, across: number, along: number, axis: Vec3 = UP): boolean {
  const d: Vec3 = [p[0] - target[0], p[1] - target[1], p[2] - target[2]];
  const a = d[0] * axis[0] + d[1] * axis[1] + d[2] * axis[2];
  const perp = Math.hypot(d[0] - a * axis[0], d[1] - a * axis[1], d[2] - a * axis[2]);
  return perp < across && Math.abs(a) < along;
}
