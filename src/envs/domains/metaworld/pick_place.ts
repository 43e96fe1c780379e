/**
 * pick-place (Factor-World's task list): pick up a puck and hold it at a goal in the air.
 *
 * The puck, a cylinder of r 0.02 and 5 cm height (0.1 kg), starts on the table at (U(-0.1, 0.1), U(0.6, 0.7));
 * the goal, shown as a small sphere that nothing collides with, is drawn from (U(-0.1, 0.1), U(0.75, 0.85),
 * U(0.05, 0.3)); MetaWorld v2's pick-place draws the goal's y from 0.8-0.9, where top_cap2 (right above y = 0.9)
 * would not see it, so ours comes 5 cm nearer. The hand starts at (0, 0.6, 0.2). Success: the puck's centre within
 * 7 cm of the goal. The scripted expert grasps the puck, lifts it, carries it to the goal and holds it there.
 */
import { registerBuiltInTask } from '../../registry.js';
import { el, resolveObjectScale, type Vec3 } from '../../scene.js';
import type { Physics } from '../../mujoco.js';
import { objectId, perPhysics } from '../../named.js';
import type { Rng } from '../../../util/rng.js';
import type { SceneOptions, TaskDefinition } from '../../task.js';
import { ArmTask, FACTORWORLD_ONLY, metaworldTask, type ArmLayout } from './arm_task.js';
import { bodyPos, distance } from '../../positions.js';
import { PickAndPlaceExpert } from './pick_and_place.js';
import { graspReward } from './shaping.js';
import { tabletopScene } from './tabletop.js';

const PUCK_RADIUS = 0.02;
const PUCK_HALF_HEIGHT = 0.025;
/** Success: puck centre to the goal, metres. */
export const PLACE_SUCCESS_DISTANCE = 0.07;
const HAND_START: Vec3 = [0, 0.6, 0.2];

export function buildPickPlaceScene(options: SceneOptions = {}): string {
  const scene = tabletopScene('pick-place');
  const s = resolveObjectScale(options);
  scene.material('goal', { texture: 'flat-green-mid', specular: 0.2 });
  scene.world(
    el('body', { name: 'puck', pos: [0, 0.65, PUCK_HALF_HEIGHT * s] }, [
      el('freejoint', { name: 'puck' }),
      el('geom', { name: 'puck', type: 'cylinder', size: [PUCK_RADIUS * s, PUCK_HALF_HEIGHT * s], material: 'object', mass: 0.1, friction: [1, 0.01, 0.0001] }),
    ]),
    // Visual only: the goal marks a point in the air.
    el('body', { name: 'goal', pos: [0, 0.85, 0.2] }, [el('geom', { name: 'goal', type: 'sphere', size: [0.015], material: 'goal', contype: 0, conaffinity: 0 })]),
  );
  return scene.build(options);
}

class PickPlaceHandles {
  readonly puck: number;
  readonly puckGeom: number;
  readonly goal: number;
  constructor(readonly physics: Physics) {
    this.puck = objectId(physics, 'body', 'puck');
    this.puckGeom = objectId(physics, 'geom', 'puck');
    this.goal = objectId(physics, 'body', 'goal');
  }
  puckPos(): Vec3 {
    return bodyPos(this.physics, this.puck);
  }
  goalPos(): Vec3 {
    return bodyPos(this.physics, this.goal);
  }
  /** The puck's half height in the compiled model (object scale included). */
  puckHalfHeight(): number {
    return (this.physics.model.geom_size as Float64Array)[3 * this.puckGeom + 1]!;
  }
}

/** Looked up once per physics. */
const pickPlaceHandles = perPhysics((physics) => new PickPlaceHandles(physics));

class PickPlaceTask extends ArmTask {
  sampleLayout(rng: Rng, physics: Physics): ArmLayout {
    const puck: Vec3 = [rng.uniform(-0.1, 0.1), rng.uniform(0.6, 0.7), pickPlaceHandles(physics).puckHalfHeight()];
    const goal: Vec3 = [rng.uniform(-0.1, 0.1), rng.uniform(0.75, 0.85), rng.uniform(0.05, 0.3)];
    return { hand: HAND_START, fixtures: { goal }, objects: { puck: { pos: puck } } };
  }

  /** graspReward: grasp and object = the puck, goal = the goal marker. */
  reward(physics: Physics): number {
    const parts = pickPlaceHandles(physics);
    const puck = parts.puckPos();
    return graspReward(physics, { grasp: puck, object: puck, goal: parts.goalPos(), placeTolerance: PLACE_SUCCESS_DISTANCE, success: this.success(physics) });
  }


  success(physics: Physics): boolean {
    const parts = pickPlaceHandles(physics);
    return distance(parts.puckPos(), parts.goalPos()) <= PLACE_SUCCESS_DISTANCE;
  }
}

function pickPlaceExpert(): PickAndPlaceExpert {
  return new PickAndPlaceExpert({
    graspPoint: (physics) => pickPlaceHandles(physics).puckPos(),
    objectPoint: (physics) => pickPlaceHandles(physics).puckPos(),
    goal: (physics) => pickPlaceHandles(physics).goalPos(),
    approachGrip: -1,
    // Lift clear of the table, then straight to the goal.
    carryHeight: 0.1,
    approachPoint: (physics) => pickPlaceHandles(physics).goalPos(),
    alignTolerance: 0.01,
    placeSpeed: 0.5,
    hold: true,
  });
}

export const pickPlace: TaskDefinition = metaworldTask({
  name: 'pick-place',
  version: 1,
  benchmarks: FACTORWORLD_ONLY,
  buildScene: buildPickPlaceScene,
  createTask: () => new PickPlaceTask(),
  createExpert: pickPlaceExpert,
});

registerBuiltInTask(pickPlace);
