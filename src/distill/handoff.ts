/**
 * A distilled student that holds what its teacher reached: the teacher (a planner) drives until the task's success
 * test (or the distillation's own handoff test) has held for `settleSteps` consecutive steps, the student from then
 * on, and the teacher again from the first step that fails the test until it has held for `settleSteps` steps again.
 *
 * Why: a walker student learns to keep standing from planner labels but not to get up (the planner's get-up
 * depends on the plan it carries, which the state does not show), and standing is ~90% of a 1000-step episode, so
 * the planner's cost falls with the share of steps it drives while the demos keep its quality.
 */
import type { Physics } from '../envs/mujoco.js';
import type { Expert, Task } from '../envs/task.js';
import type { Rng } from '../util/rng.js';

/**
 * The test the gate applies each step. A stricter test than success hands the teacher back before the task fails,
 * where recovering late costs reward (a spinner the planner must flick again before it falls below its speed).
 */
export interface HandoffTest {
  /** Names the test in the distillation's digest (the function itself has no JSON). */
  name: string;
  passes: (physics: Physics, task: Task) => boolean;
}

/** The default handoff test: the task's success test. */
export const TASK_SUCCESS: HandoffTest = { name: 'success', passes: (physics, task) => task.success(physics) };

/** Whose turn a step is: the student's once the handoff test has held for `settleSteps` consecutive steps. */
export class HandoffGate {
  private streak = 0;

  constructor(readonly settleSteps: number) {
    if (!Number.isInteger(settleSteps) || settleSteps < 1) throw new Error(`handoff: settleSteps must be a positive integer, got ${settleSteps}`);
  }

  reset(): void {
    this.streak = 0;
  }

  /** Records whether the current state passes the handoff test; true when the student acts in it. */
  studentTurn(passes: boolean): boolean {
    this.streak = passes ? this.streak + 1 : 0;
    return this.streak >= this.settleSteps;
  }
}

export interface HandoffOptions {
  /** The gate's test; the task's success test when omitted. */
  test?: HandoffTest;
  /**
   * Reset the teacher each time it takes the turn back from the student: a planner's carried plan was made for the
   * state before the student's stint and is stale after it (a planner shifts its plan only by the steps it drove).
   */
  restartTeacher?: boolean;
}

export class HandoffExpert implements Expert {
  private readonly gate: HandoffGate;
  private readonly test: HandoffTest;
  private readonly restartTeacher: boolean;
  private rng: Rng | null = null;
  /** Whether the student acted on the last step (the teacher's turn then starts afresh with restartTeacher). */
  private studentDrove = false;
  /** Steps the teacher drove since the last reset (its cost). */
  teacherSteps = 0;

  constructor(
    /** Demo caches key on it: it names the teacher, the digest of the distillation and the handoff. */
    readonly name: string,
    private readonly teacher: Expert,
    private readonly student: Expert,
    settleSteps: number,
    options: HandoffOptions = {},
  ) {
    this.gate = new HandoffGate(settleSteps);
    this.test = options.test ?? TASK_SUCCESS;
    this.restartTeacher = options.restartTeacher ?? false;
  }

  reset(physics: Physics, rng: Rng): void {
    this.gate.reset();
    this.teacherSteps = 0;
    this.rng = rng;
    this.studentDrove = false;
    this.teacher.reset(physics, rng);
    this.student.reset(physics, rng);
  }

  act(physics: Physics, task: Task, step: number): Float64Array {
    if (this.gate.studentTurn(this.test.passes(physics, task))) {
      this.studentDrove = true;
      return this.student.act(physics, task, step);
    }
    // Reset with the stream it was given: the teacher drops what it carried and draws on where it left off.
    if (this.studentDrove && this.restartTeacher && this.rng) this.teacher.reset(physics, this.rng);
    this.studentDrove = false;
    this.teacherSteps++;
    return this.teacher.act(physics, task, step);
  }

  dispose(): void {
    this.teacher.dispose?.();
    this.student.dispose?.();
  }
}
