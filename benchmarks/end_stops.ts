/**
 * How the MetaWorld-style fixtures sit against their end stops at the last step of the scripted experts' episodes,
 * next to the success tolerance: the measurement behind "success = at the end stop within a small tolerance"
 * (button 1 mm, drawer 2 mm). Also replays each episode with the fixture let go: for the last 100 steps the hand
 * rises 30 cm and stays there, to show where a fixture ends when nothing holds it.
 *
 *   npx tsx benchmarks/end_stops.ts [--episodes 20] [--seed 0]
 *
 * Episode seeds are the demo seeds (demoEpisodeSeeds).
 */
import { parseArgs } from 'node:util';
import { demoEpisodeSeeds } from '../src/data/demos.js';
import { BUTTON_TRAVEL, PRESS_END_TOLERANCE } from '../src/envs/domains/metaworld/button.js';
import { DRAWER_TRAVEL, OPEN_END_TOLERANCE } from '../src/envs/domains/metaworld/drawer_open.js';
import { Env } from '../src/envs/index.js';
import { jointQposAddress } from '../src/envs/named.js';
import { Rng } from '../src/util/rng.js';

/** Per task: the joint, where its end stop is, and the success tolerance (all metres). */
const FIXTURES = [
  { task: 'button-press-topdown', joint: 'button', stop: -BUTTON_TRAVEL, tolerance: PRESS_END_TOLERANCE },
  { task: 'button-press', joint: 'button', stop: -BUTTON_TRAVEL, tolerance: PRESS_END_TOLERANCE },
  { task: 'drawer-open', joint: 'drawer', stop: DRAWER_TRAVEL, tolerance: OPEN_END_TOLERANCE },
];

const { values } = parseArgs({ options: { episodes: { type: 'string', default: '20' }, seed: { type: 'string', default: '0' } } });
const seeds = demoEpisodeSeeds(Number(values.seed), Number(values.episodes));

/** Signed distance past the stop (positive = pushed into it), mm. */
const pastStop = (value: number, stop: number): number => 1000 * (stop < 0 ? stop - value : value - stop);
const range = (xs: number[]): string => `${Math.min(...xs).toFixed(2)} .. ${Math.max(...xs).toFixed(2)}`;

console.log('task                  held past stop (mm)  let go, past stop (mm)  tolerance (mm)  success held / let go');
for (const { task, joint, stop, tolerance } of FIXTURES) {
  const env = await Env.make(task);
  const adr = jointQposAddress(env.physics, joint);
  const held: number[] = [];
  const released: number[] = [];
  let heldSuccesses = 0;
  let releasedSuccesses = 0;
  for (const seed of seeds) {
    for (const letGo of [false, true]) {
      const expert = env.definition.createExpert();
      env.reset({ seed });
      // The scripted experts draw nothing from their stream.
      expert.reset(env.physics, new Rng(seed));
      let success = false;
      for (let t = 0; t < env.horizon; t++) {
        const action = letGo && t >= env.horizon - 100 ? [0, 0, t < env.horizon - 70 ? 1 : 0, 1] : expert.act(env.physics, env.task, t);
        success = env.step(action).info.success;
      }
      const past = pastStop(env.physics.views.qpos[adr]!, stop);
      (letGo ? released : held).push(past);
      if (success) letGo ? releasedSuccesses++ : heldSuccesses++;
    }
  }
  env.close();
  console.log(
    `${task.padEnd(22)}${range(held).padEnd(21)}${range(released).padEnd(24)}${(1000 * tolerance).toFixed(1).padEnd(16)}` +
      `${heldSuccesses}/${seeds.length} / ${releasedSuccesses}/${seeds.length}`,
  );
}
