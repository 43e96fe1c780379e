/** Placeholder until the software renderer lands. */
import type { Physics } from '../mujoco.js';
import type { RenderOptions, RenderResult } from './types.js';

export class Renderer {
  constructor(readonly physics: Physics) {}
  render(_options: RenderOptions): RenderResult {
    throw new Error('renderer not implemented yet');
  }
}
