/** Shared pieces of the scripted MetaWorld experts: steering the mocap target so the tool centre reaches a point. */
import type { Vec3 } from '../../scene.js';
import { MOCAP_STEP, TCP_OFFSET, type ArmHandles } from './arm.js';

/**
 * Action [dx, dy, dz, grip] that moves the mocap target towards where it must be for the tool centre point to sit
 * at `tcpTarget`: full speed (1 cm/step) when far, proportional within the last centimetre, so the target stops
 * exactly there instead of oscillating around it.
 */
export function reachAction(arm: ArmHandles, tcpTarget: Vec3, grip: number): Float64Array {
  const mocap = arm.mocapPos();
  const action = new Float64Array(4);
  for (let i = 0; i < 3; i++) {
    const step = (tcpTarget[i]! - TCP_OFFSET[i]! - mocap[i]!) / MOCAP_STEP;
    action[i] = Math.max(-1, Math.min(1, step));
  }
  action[3] = grip;
  return action;
}

export function horizontalDistance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}
