/**
 * One cell's evaluation then and now: the same episodes (task, envs, seeds, encoder, an untrained policy of one
 * seed) evaluated by the sources of an older checkout (`--then`, e.g. a `git worktree` of the commit before a
 * change) and of this checkout (or `--now`), each in its own child process (benchmarks/lib/eval_cell_child.ts),
 * timed alternately in one script: per rep, every entry once, in an order rotated each rep so a change of load
 * spreads over all of them. This checkout's entries are its evaluation modes (`--modes`: main thread, worker envs
 * in one group, pipelined on worker envs). Reports wall and CPU seconds, each now-entry's wall ratio to then's,
 * whether every now-entry gave the same outcomes (exit status 1 if not: parallelism must not change a number) and
 * whether then's equal now's (only where the task's version, the policy's initialisation and the encoder did not
 * change in between; the task versions are printed). One untimed evaluation per entry first (ONNX Runtime's first
 * runs, JIT warm-up), reported apart.
 *
 *   npx tsx benchmarks/eval_then_now.ts --then DIR [--now DIR] [--task cheetah-run] [--envs 10] [--episodes 10]
 *     [--size 96] [--encoder vit-tiny-random] [--horizon 50] [--policy-seed 1] [--workers 2]
 *     [--modes local,workers,pipelined] [--reps 3] [--out FILE.json]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../src/util/atomic.js';
import { EVAL_MODES, type ChildReply, type ChildRequest, type EvalMode } from './lib/eval_cell_protocol.js';

const { values: args } = parseArgs({
  options: {
    then: { type: 'string' },
    now: { type: 'string' },
    task: { type: 'string', default: 'cheetah-run' },
    envs: { type: 'string', default: '10' },
    episodes: { type: 'string', default: '10' },
    size: { type: 'string', default: '96' },
    encoder: { type: 'string', default: 'vit-tiny-random' },
    horizon: { type: 'string', default: '50' },
    'policy-seed': { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
    modes: { type: 'string', default: EVAL_MODES.join(',') },
    reps: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
if (!args.then) throw new Error('--then DIR is required: a checkout of the older commit (e.g. made with git worktree add)');
const here = dirname(fileURLToPath(import.meta.url));
const trees = { then: resolve(args.then), now: resolve(args.now ?? join(here, '..')) };
const reps = Number(args.reps);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${args.reps}`);
const nowModes = args.modes!.split(',').map((m) => m.trim());
for (const mode of nowModes) {
  if (!(EVAL_MODES as readonly string[]).includes(mode)) throw new Error(`--modes: unknown mode '${mode}' (known: ${EVAL_MODES.join(', ')})`);
}
const childArgs = (['task', 'envs', 'episodes', 'size', 'encoder', 'horizon', 'policy-seed', 'workers'] as const).flatMap((k) => [`--${k}`, args[k]!]);

/** One child per tree: requests answered in order. */
class EvalChild {
  private readonly process: ChildProcess;
  private waiting: ((reply: ChildReply) => void) | null = null;
  readonly ready: Promise<{ modes: EvalMode[]; taskVersion: number }>;

  constructor(readonly label: string, tree: string) {
    this.process = fork(join(here, 'lib/eval_cell_child.ts'), ['--tree', tree, ...childArgs], { execArgv: ['--import', 'tsx'] });
    this.process.on('message', (reply: ChildReply) => this.waiting?.(reply));
    this.process.once('exit', (code) => this.waiting?.({ kind: 'error', message: `${label} child exited (code ${code})` }));
    this.ready = this.next().then((reply) => {
      if (reply.kind !== 'ready') throw new Error(`${label} (${tree}): ${reply.kind === 'error' ? reply.message : 'unexpected reply'}`);
      return { modes: reply.modes, taskVersion: reply.taskVersion };
    });
  }

  async evaluate(mode: EvalMode): Promise<Extract<ChildReply, { kind: 'result' }>> {
    const reply = this.next();
    this.process.send({ mode } satisfies ChildRequest);
    const answer = await reply;
    if (answer.kind !== 'result') throw new Error(`${this.label} ${mode}: ${answer.kind === 'error' ? answer.message : 'unexpected reply'}`);
    return answer;
  }

  stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return Promise.resolve();
    return new Promise((done) => {
      this.process.once('exit', () => done());
      // A child that does not answer within 10 s (busy or hung) is killed.
      const timer = setTimeout(() => this.process.kill(), 10_000);
      this.process.once('exit', () => clearTimeout(timer));
      if (this.process.connected) this.process.send({ stop: true } satisfies ChildRequest);
      else this.process.kill();
    });
  }

  private next(): Promise<ChildReply> {
    return new Promise((resolveReply) => {
      this.waiting = (reply) => {
        this.waiting = null;
        resolveReply(reply);
      };
    });
  }
}

interface Entry {
  name: string;
  child: EvalChild;
  mode: EvalMode;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

async function main(): Promise<void> {
  const then = new EvalChild('then', trees.then);
  const now = new EvalChild('now', trees.now);
  try {
    const [thenTree, nowTree] = await Promise.all([then.ready, now.ready]);
    if (!thenTree.modes.includes('local')) throw new Error(`the --then tree cannot evaluate on the main thread`);
    for (const mode of nowModes) if (!nowTree.modes.includes(mode as EvalMode)) throw new Error(`the --now tree has no mode '${mode}'`);
    const entries: Entry[] = [{ name: 'then', child: then, mode: 'local' }, ...nowModes.map((mode) => ({ name: `now-${mode}`, child: now, mode: mode as EvalMode }))];
    console.log(
      `${args.task}, ${args.envs} envs, ${args.episodes} episodes of ${args.horizon} steps at ${args.size} px, ${args.encoder}, policy seed ${args['policy-seed']}; ` +
        `then = ${trees.then}, now = ${trees.now}; load average ${loadavg()[0]!.toFixed(1)}`,
    );
    const warmup: Record<string, number> = {};
    // Every now-entry's outcomes against the first now-entry's (JSON text: every field, exactly): parallelism must
    // not change a number. Then's against now's too, which holds only where nothing that sets the numbers (the
    // task's version, the policy's initialisation, the encoder) changed between the trees.
    const firstText: Record<'then' | 'now', string | null> = { then: null, now: null };
    const differs = new Set<string>();
    const check = (entry: Entry, outcomes: unknown[]): void => {
      const text = JSON.stringify(outcomes);
      const tree = entry.child === then ? 'then' : 'now';
      firstText[tree] ??= text;
      if (text !== firstText[tree] && !differs.has(entry.name)) {
        differs.add(entry.name);
        console.log(`${entry.name} outcomes differ from its tree's first:\n  first: ${firstText[tree]!.slice(0, 300)}\n  ${entry.name}: ${text.slice(0, 300)}`);
      }
    };
    for (const entry of entries) {
      const result = await entry.child.evaluate(entry.mode);
      warmup[entry.name] = round(result.seconds);
      check(entry, result.outcomes);
    }
    console.log(`warm-up (first evaluation, untimed in the ratios): ${entries.map((e) => `${e.name} ${warmup[e.name]} s`).join(', ')}`);
    const wall: Record<string, number[]> = Object.fromEntries(entries.map((e) => [e.name, []]));
    const cpu: Record<string, number[]> = Object.fromEntries(entries.map((e) => [e.name, []]));
    const loads: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const order = entries.map((_, i) => entries[(i + rep) % entries.length]!);
      for (const entry of order) {
        const result = await entry.child.evaluate(entry.mode);
        wall[entry.name]!.push(result.seconds);
        cpu[entry.name]!.push(result.cpuSeconds);
        check(entry, result.outcomes);
      }
      loads.push(round(loadavg()[0]!, 1));
      console.log(
        `rep ${rep + 1}: ` +
          entries.map((e) => `${e.name} ${wall[e.name]![rep]!.toFixed(1)} s (${cpu[e.name]![rep]!.toFixed(1)} CPU-s)`).join(', ') +
          `; now/then wall: ${entries
            .slice(1)
            .map((e) => `${e.mode} ${(wall[e.name]![rep]! / wall.then![rep]!).toFixed(2)}x`)
            .join(', ')}; load average ${loads[rep]}`,
      );
    }
    const ratios = Object.fromEntries(
      entries.slice(1).map((e) => [
        e.mode,
        {
          wallRatio: round(median(wall[e.name]!) / median(wall.then!)),
          wallRatioSpread: wall[e.name]!.map((w, i) => round(w / wall.then![i]!)),
          cpuRatio: round(median(cpu[e.name]!) / median(cpu.then!)),
        },
      ]),
    );
    const sameOutcomes = differs.size === 0;
    const thenEqualsNow = firstText.then === firstText.now;
    const versions = `task version then ${thenTree.taskVersion}, now ${nowTree.taskVersion}`;
    console.log(
      `median now/then wall: ${Object.entries(ratios)
        .map(([mode, r]) => `${mode} ${r.wallRatio}x (spread ${r.wallRatioSpread.join(', ')}; CPU ${r.cpuRatio}x)`)
        .join(', ')}; load averages ${loads.join(', ')}; every now-mode the same episodes: ${sameOutcomes}${sameOutcomes ? '' : ` (differ: ${[...differs].join(', ')})`}; ` +
        `then's scores equal now's: ${thenEqualsNow} (${versions})`,
    );
    if (!sameOutcomes) process.exitCode = 1;
    const result = { task: args.task, envs: Number(args.envs), episodes: Number(args.episodes), size: Number(args.size), encoder: args.encoder, horizon: Number(args.horizon), trees, warmupSeconds: warmup, wallSeconds: wall, cpuSeconds: cpu, ratios, sameOutcomes, thenEqualsNow, taskVersions: { then: thenTree.taskVersion, now: nowTree.taskVersion }, loadAverages: loads };
    if (args.out) writeFileAtomic(args.out, `${JSON.stringify(result, null, 2)}\n`, 'benchmark results');
  } finally {
    await Promise.allSettled([then.stop(), now.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
