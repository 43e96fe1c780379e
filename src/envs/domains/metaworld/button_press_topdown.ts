/**
 * button-press-topdown: press a spring-loaded button down from above (button.ts has the button, reward, success
 * test and expert). The box top is placed at (U(-0.1, 0.1), U(0.8, 0.9), 0.115); the hand starts at (0, 0.4, 0.2)
 * as upstream.
 */
import { registerBuiltInTask } from '../../registry.js';
import type { TaskDefinition } from '../../task.js';
import { CORTEXBENCH_AND_FACTORWORLD, metaworldTask } from './arm_task.js';
import { buildButtonScene, ButtonExpert, ButtonTask, type ButtonMount } from './button.js';

const BOX_TOP_Z = 0.115;

export const TOPDOWN_MOUNT: ButtonMount = {
  name: 'button-press-topdown',
  quat: [1, 0, 0, 0],
  // From the table top up to the face.
  box: { pos: [0, 0, -BOX_TOP_Z / 2], half: [0.05, 0.05, BOX_TOP_Z / 2] },
  placement: { x: [-0.1, 0.1], y: [0.8, 0.9], z: BOX_TOP_Z },
  hand: [0, 0.4, 0.2],
};

export const buttonPressTopdown: TaskDefinition = metaworldTask({
  name: 'button-press-topdown',
  // v2: top_cap2 at the upstream pose, hand start (0, 0.4, 0.2), workspace y from 0.40, success at the end stop,
  // fingers closing along y.
  // v3: the renderer's native look.
  version: 3,
  benchmarks: CORTEXBENCH_AND_FACTORWORLD,
  buildScene: (options) => buildButtonScene(TOPDOWN_MOUNT, options),
  createTask: () => new ButtonTask(TOPDOWN_MOUNT),
  createExpert: () => new ButtonExpert(),
});

registerBuiltInTask(buttonPressTopdown);
