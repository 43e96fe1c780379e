/**
 * button-press (front; Factor-World's task list): press a spring-loaded button that faces the robot, pushing along
 * +y (button.ts has the button, reward, success test and expert). The box face is placed at
 * (U(-0.1, 0.1), U(0.85, 0.9), 0.115), the button's centre height; the hand starts at (0, 0.6, 0.2).
 */
import { registerBuiltInTask } from '../../registry.js';
import type { TaskDefinition } from '../../task.js';
import { FACTORWORLD_ONLY, metaworldTask } from './arm_task.js';
import { buildButtonScene, ButtonExpert, ButtonTask, type ButtonMount } from './button.js';

const BUTTON_Z = 0.115;
const BOX_HALF_DEPTH = 0.05;
const BOX_TOP_ABOVE_BUTTON = 0.05;

export const FRONT_MOUNT: ButtonMount = {
  name: 'button-press',
  // +90 degrees about x: the button frame's +z (face normal) points at the robot (-y), its +y up.
  quat: [Math.SQRT1_2, Math.SQRT1_2, 0, 0],
  // In the button frame: from the table (y = -BUTTON_Z) to 5 cm above the button, and 10 cm deep behind the face.
  box: {
    pos: [0, (BOX_TOP_ABOVE_BUTTON - BUTTON_Z) / 2, -BOX_HALF_DEPTH],
    half: [0.05, (BOX_TOP_ABOVE_BUTTON + BUTTON_Z) / 2, BOX_HALF_DEPTH],
  },
  placement: { x: [-0.1, 0.1], y: [0.85, 0.9], z: BUTTON_Z },
  hand: [0, 0.6, 0.2],
};

export const buttonPress: TaskDefinition = metaworldTask({
  name: 'button-press',
  version: 1,
  benchmarks: FACTORWORLD_ONLY,
  buildScene: (options) => buildButtonScene(FRONT_MOUNT, options),
  createTask: () => new ButtonTask(FRONT_MOUNT),
  createExpert: () => new ButtonExpert(),
});

registerBuiltInTask(buttonPress);
