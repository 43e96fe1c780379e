/** Messages between benchmarks/eval_then_now.ts and its children (benchmarks/lib/eval_cell_child.ts). */

/** Where a cell's evaluation runs: main thread, worker envs in one group, worker envs in two pipelined groups. */
export type EvalMode = 'local' | 'workers' | 'pipelined';
export const EVAL_MODES: readonly EvalMode[] = ['local', 'workers', 'pipelined'];

/** Parent to child: one timed evaluation, or shut down. */
export type ChildRequest = { mode: EvalMode } | { stop: true };

/** Child to parent: once `ready` with the modes its tree has and its task's version (or `error`), then one reply per request. */
export type ChildReply =
  | { kind: 'ready'; modes: EvalMode[]; taskVersion: number }
  | { kind: 'result'; mode: EvalMode; seconds: number; cpuSeconds: number; outcomes: unknown[] }
  | { kind: 'error'; message: string };
