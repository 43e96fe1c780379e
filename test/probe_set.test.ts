/**
 * The entropy probe set's definition and digest (src/protocol/entropy_probe.ts) on made-up task lists: what the set
 * holds and that its digest, which keys every cached entropy, moves with every part of the definition and only with
 * those. (test/entropy_probe.test.ts checks the registered tasks' probe end to end.)
 */
import { describe, expect, it } from 'vitest';
import type { TaskDefinition } from '../src/envs/task.js';
import '../src/envs/index.js';
import { listTasks } from '../src/envs/registry.js';
import { cortexbenchProbeSet, ENTROPY_PROBE_IMAGE_SIZE, ENTROPY_PROBE_SEEDS, ENTROPY_PROBE_STEPS, expertProbeSet, probeSet } from '../src/protocol/entropy_probe.js';
import { observationLook } from '../src/protocol/render_settings.js';

const task = (name: string, version = 1, defaultCamera = 'fixed'): TaskDefinition => ({ name, version, defaultCamera }) as TaskDefinition;
const tasks = [task('walker-walk', 3, 'side'), task('assembly', 2, 'corner'), task('pen', 1, 'vil_camera')];

describe('the probe set over a task list', () => {
  it('holds the tasks in name order with their versions and cameras, the fixed seeds and steps, at 256 px', () => {
    const set = expertProbeSet(tasks);
    expect(set.name).toBe('cortexbench-experts-256');
    expect(set.tasks).toEqual([
      { name: 'assembly', version: 2, camera: 'corner' },
      { name: 'pen', version: 1, camera: 'vil_camera' },
      { name: 'walker-walk', version: 3, camera: 'side' },
    ]);
    expect(set.episodeSeeds).toEqual([5000, 5001, 5002, 5003]);
    expect(set.frameSteps).toEqual(Array.from({ length: 16 }, (_, i) => 6 * i));
    expect(ENTROPY_PROBE_STEPS.at(-1)).toBe(90);
    expect(set.imageSize).toBe(256);
    expect(ENTROPY_PROBE_IMAGE_SIZE).toBe(256);
    expect(set.look).toEqual(observationLook(256));
    expect(set.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not share its arrays with the protocol constants or reorder the caller list', () => {
    const list = [...tasks];
    const set = expertProbeSet(list);
    set.episodeSeeds.push(1);
    set.frameSteps.push(1);
    expect(ENTROPY_PROBE_SEEDS).toHaveLength(4);
    expect(ENTROPY_PROBE_STEPS).toHaveLength(16);
    expect(list.map((t) => t.name)).toEqual(['walker-walk', 'assembly', 'pen']);
  });

  it('has one digest per definition: the same for any task order, another when any part changes', () => {
    const base = expertProbeSet(tasks);
    expect(expertProbeSet([...tasks].reverse()).digest).toBe(base.digest);
    expect(expertProbeSet([tasks[1]!, tasks[0]!, tasks[2]!]).digest).toBe(base.digest);
    const { digest, ...definition } = base;
    expect(probeSet(definition).digest).toBe(digest);
    const changed = [
      expertProbeSet(tasks.slice(0, 2)),
      expertProbeSet([task('walker-walk', 4, 'side'), tasks[1]!, tasks[2]!]),
      expertProbeSet([task('walker-walk', 3, 'back'), tasks[1]!, tasks[2]!]),
      expertProbeSet([task('walker-run', 3, 'side'), tasks[1]!, tasks[2]!]),
      probeSet({ ...definition, name: 'other' }),
      probeSet({ ...definition, episodeSeeds: [5000, 5001, 5002] }),
      probeSet({ ...definition, frameSteps: [0, 6] }),
      probeSet({ ...definition, imageSize: 224 }),
      probeSet({ ...definition, look: null }),
      probeSet({ ...definition, look: { supersample: 4, textureFilter: 'linear' } }),
    ].map((s) => s.digest);
    expect(new Set([digest, ...changed]).size).toBe(changed.length + 1);
  });

  it('keeps only what identifies a task in the set', () => {
    const extra = { ...tasks[0]!, horizon: 1000 } as TaskDefinition;
    expect(expertProbeSet([extra]).digest).toBe(expertProbeSet([tasks[0]!]).digest);
    const { digest: _d, ...definition } = expertProbeSet(tasks);
    const withExtra = probeSet({ ...definition, tasks: definition.tasks.map((t) => ({ ...t, horizon: 5 }) as typeof t) });
    expect(withExtra.digest).toBe(expertProbeSet(tasks).digest);
    expect(withExtra.tasks[0]).toEqual({ name: 'assembly', version: 2, camera: 'corner' });
  });

  it('sorts any number of tasks by name', () => {
    const names = ['pen', 'assembly', 'walker-walk', 'hammer', 'cheetah-run', 'relocate', 'bin-picking', 'finger-spin', 'drawer-open', 'reacher-easy', 'walker-stand'];
    expect(expertProbeSet(names.map((n) => task(n))).tasks.map((t) => t.name)).toEqual([...names].sort());
    expect(expertProbeSet([...names].reverse().map((n) => task(n))).tasks.map((t) => t.name)).toEqual([...names].sort());
  });

  it('is, for the protocol, the probe over every registered cortexbench task', () => {
    expect(cortexbenchProbeSet()).toEqual(expertProbeSet(listTasks('cortexbench')));
    expect(cortexbenchProbeSet().tasks.length).toBeGreaterThan(1);
  });

  it('needs at least one task', () => {
    expect(() => expertProbeSet([])).toThrow('the entropy probe needs at least one task');
  });
});
