/**
 * The handoff's own test (DistillSettings.handoffTest): the gate hands the teacher back when that test fails, in the
 * demo expert and in handoff rounds alike, the test enters the distillation's digest by its name, and settings
 * without one keep the digest they had. Played on finger-spin's physics with cheap scripted experts (no planner).
 */
import { describe, expect, it } from 'vitest';
import { distil, type DistillSettings } from '../src/distill/dagger.js';
import { HandoffExpert, TASK_SUCCESS, type HandoffTest } from '../src/distill/handoff.js';
import { DISTILLATIONS, evaluateStudent } from '../src/distill/index.js';
import { distillDigest } from '../src/distill/store.js';
import { hingeVelocity } from '../src/envs/domains/finger.js';
import { getTask } from '../src/envs/index.js';
import { jointDofAddress } from '../src/envs/named.js';
import type { Physics } from '../src/envs/mujoco.js';
import type { Expert, TaskDefinition } from '../src/envs/task.js';
import { demoEpisodeSeeds } from '../src/util/demo_seeds.js';
import { Rng } from '../src/util/rng.js';

/** A scripted teacher: each step it drives, it sets the spinner's hinge to `speed` rad/s (the task's direction). */
class Spinner implements Expert {
  readonly name = 'spinner';
  calls = 0;
  /** The streams it was reset with, in order. */
  readonly resets: Rng[] = [];
  constructor(private readonly speed: number) {}
  reset(_physics: Physics, rng: Rng): void {
    this.resets.push(rng);
  }
  act(physics: Physics): Float64Array {
    this.calls++;
    physics.views.qvel[jointDofAddress(physics, 'hinge')] = -this.speed;
    return new Float64Array(2);
  }
}

/** Does nothing: the spinner coasts down under its friction and damping. */
const coast: Expert = { name: 'coast', reset() {}, act: () => new Float64Array(2) };

const spinAtLeast = (speed: number): HandoffTest => ({ name: `spin >= ${speed} rad/s`, passes: (physics) => -hingeVelocity(physics) >= speed });

describe('handoff test', () => {
  it('hands the teacher back where the stricter test fails though the task still succeeds', async () => {
    const task = getTask('finger-spin');
    const seeds = demoEpisodeSeeds(0, 2);
    const bySuccess = new HandoffExpert('h', new Spinner(30), coast, 1);
    const byStricter = new HandoffExpert('h', new Spinner(30), coast, 1, { test: spinAtLeast(25) });
    const success = await evaluateStudent(task, bySuccess, seeds);
    const stricter = await evaluateStudent(task, byStricter, seeds);
    // The coasting student loses speed: the stricter test returns the turn sooner, so the teacher drives more and
    // the spin (reward: >= 15 rad/s) falls below the target less often.
    for (let i = 0; i < seeds.length; i++) {
      expect(stricter.teacherSteps![i]!).toBeGreaterThan(success.teacherSteps![i]!);
      expect(stricter.returns[i]!).toBeGreaterThan(success.returns[i]!);
      expect(success.teacherSteps![i]!).toBeLessThan(task.horizon / 2);
    }
    // A test that never passes leaves every step to the teacher.
    const never = new HandoffExpert('h', new Spinner(30), coast, 1, { test: { name: 'never', passes: () => false } });
    expect((await evaluateStudent(task, never, seeds.slice(0, 1))).teacherSteps).toEqual([task.horizon]);
    expect(TASK_SUCCESS.passes).toBeTypeOf('function');
  });

  it('resets the teacher, with the stream it was given, each time it takes the turn back (restartTeacher)', async () => {
    const task = getTask('finger-spin');
    const seeds = demoEpisodeSeeds(0, 1);
    const kept = new Spinner(30);
    const restarted = new Spinner(30);
    const plain = await evaluateStudent(task, new HandoffExpert('h', kept, coast, 1, { test: spinAtLeast(25) }), seeds);
    const again = await evaluateStudent(task, new HandoffExpert('h', restarted, coast, 1, { test: spinAtLeast(25), restartTeacher: true }), seeds);
    // The same episode (the scripted teacher carries nothing); only the resets differ.
    expect(again.returns).toEqual(plain.returns);
    expect(kept.resets).toHaveLength(1);
    // One reset per episode, then one per return of the turn: every teacher step but the first follows a student stint.
    expect(restarted.calls).toBe(again.teacherSteps![0]!);
    expect(restarted.resets).toHaveLength(restarted.calls);
    expect(new Set(restarted.resets).size).toBe(1);
    expect(restarted.resets[0]).toBeInstanceOf(Rng);
  });

  it('drives handoff rounds by the same test, and names it in the digest', async () => {
    const spinner = new Spinner(30);
    const task: TaskDefinition = { ...getTask('finger-spin'), horizon: 80, createExpert: () => spinner };
    const settings: DistillSettings = {
      teacherDemos: 0,
      episodeSteps: 60,
      rounds: [
        { episodes: 1, teacherShare: 1 },
        { episodes: 1, teacherShare: 0, handoff: true },
      ],
      hidden: [8],
      epochs: 2,
      batchSize: 16,
      learningRate: 1e-3,
      seed: 2,
      handoffSettleSteps: 1,
    };
    const never: HandoffTest = { name: 'never', passes: () => false };
    const bySuccess = await distil(task, settings, []);
    const byNever = await distil(task, { ...settings, handoffTest: never }, []);
    const teacherRound = await distil(task, { ...settings, rounds: [settings.rounds[0]!, { episodes: 1, teacherShare: 1 }] }, []);
    // A test that never passes keeps the teacher driving: the handoff round is the teacher's round.
    expect(byNever.episodes[1]!.inputs).toEqual(teacherRound.episodes[1]!.inputs);
    expect(bySuccess.episodes[1]!.inputs).not.toEqual(teacherRound.episodes[1]!.inputs);

    const digest = (s: DistillSettings): string => distillDigest(task, 'spinner', s, []);
    expect(digest({ ...settings, handoffTest: never })).not.toBe(digest(settings));
    expect(digest({ ...settings, handoffTest: never })).not.toBe(digest({ ...settings, handoffTest: spinAtLeast(20) }));
    expect(digest({ ...settings, handoffTest: { name: 'never', passes: () => true } })).toBe(digest({ ...settings, handoffTest: never }));
    expect(digest({ ...settings, handoffTest: undefined })).toBe(digest(settings));
    // finger-spin's distillation keeps the digest its cached runs are stored under (an hour of distilling).
    const finger = getTask('finger-spin');
    expect(distillDigest(finger, finger.createExpert().name, DISTILLATIONS['finger-spin']!.settings, demoEpisodeSeeds(0, 20))).toBe(FINGER_SPIN_DIGEST);
    const noSettle = { ...settings, handoffSettleSteps: undefined, rounds: [settings.rounds[0]!] };
    await expect(distil(task, { ...noSettle, handoffTest: never }, [])).rejects.toThrow(/handoffTest and handoffRestartTeacher need handoffSettleSteps/);
    await expect(distil(task, { ...noSettle, handoffRestartTeacher: true }, [])).rejects.toThrow(/need handoffSettleSteps/);
    expect(digest({ ...settings, handoffRestartTeacher: true })).not.toBe(digest(settings));
  });
});

/** The digest finger-spin's paper-profile distillation is cached under (a change of it would distil again). */
const FINGER_SPIN_DIGEST = '8d6fce69b4897f66';
