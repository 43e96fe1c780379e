/**
 * assembly: pick up a ring-handled nut by its handle and put the ring over a peg.
 *
 * The nut (free, 0.1 kg) lies at (0, 0.6, 0.02), the point of its handle where the fingers close: its handle runs
 * along x (upstream's nut rotated 90 degrees about z, so the Sawyer's fingers pinch it across), and the ring, 8
 * capsules of r 0.019 on a 0.048 m circle, is centred 0.13 m further along +x. The peg, a cylinder of r 0.02 with
 * its top at z = 0.1 (upstream's target), stands at (U(-0.1, 0.1), U(0.75, 0.85)); the nut's start is fixed, as
 * upstream. The hand starts at (0, 0.6, 0.2) in the workspace (-0.5, 0.4, 0.05)-(0.5, 1, 0.5). Success: the ring
 * centre within 2 cm of the peg axis horizontally and below the peg top. The scripted expert grasps the handle,
 * lifts the ring above the peg, centres it over the peg (steering by the ring centre itself), lowers it down the
 * peg and lets go.
 */
import { registerBuiltInTask } from '../../registry.js';
import { el, resolveObjectScale, type Vec3, type XmlElement } from '../../scene.js';
import type { Physics } from '../../mujoco.js';
import { objectId, perPhysics } from '../../named.js';
import type { Rng } from '../../../util/rng.js';
import type { SceneOptions, TaskDefinition } from '../../task.js';
import { ArmTask, CORTEXBENCH_AND_FACTORWORLD, metaworldTask, TABLETOP_FACTOR_TARGETS, type ArmLayout } from './arm_task.js';
import { horizontalDistance, sitePos } from '../../positions.js';
import { PickAndPlaceExpert } from './pick_and_place.js';
import { graspReward } from './shaping.js';
import { tabletopScene } from './tabletop.js';

const RING_CAPSULES = 8;
const RING_RADIUS = 0.048;
const RING_CAPSULE_RADIUS = 0.019;
/** Ring centre from the handle's grasp point, along the nut's x. */
const RING_OFFSET = 0.13;
const HANDLE_HALF: Vec3 = [0.055, 0.012, 0.019];
const NUT_START: Vec3 = [0, 0.6, 0.02];
const PEG_RADIUS = 0.02;
export const PEG_TOP = 0.1;
/** Success: ring centre to the peg axis, horizontally, metres. */
export const RING_SUCCESS_RADIUS = 0.02;
const HAND_START: Vec3 = [0, 0.6, 0.2];

/** The nut at object scale `s`: ring and handle in the nut frame, origin at the grasp point. */
function nutElements(s: number): XmlElement {
  const half = RING_RADIUS * Math.tan(Math.PI / RING_CAPSULES) * s;
  const ring = Array.from({ length: RING_CAPSULES }, (_, i) => {
    const a = (2 * Math.PI * (i + 0.5)) / RING_CAPSULES;
    const [cx, cy] = [RING_OFFSET * s + RING_RADIUS * s * Math.cos(a), RING_RADIUS * s * Math.sin(a)];
    const [tx, ty] = [-Math.sin(a) * half, Math.cos(a) * half];
    return el('geom', { name: `nut_ring${i}`, type: 'capsule', fromto: [cx - tx, cy - ty, 0, cx + tx, cy + ty, 0], size: [RING_CAPSULE_RADIUS * s], material: 'object', mass: 0.05 / RING_CAPSULES });
  });
  // The handle reaches from just past the grasp point into the ring.
  const handleCentre = RING_OFFSET * s - RING_RADIUS * s - HANDLE_HALF[0] * s + 0.01;
  return el('body', { name: 'nut', pos: NUT_START }, [
    el('freejoint', { name: 'nut' }),
    el('geom', { name: 'nut_handle', type: 'box', pos: [handleCentre, 0, 0], size: HANDLE_HALF.map((v) => v * s), material: 'object', mass: 0.05 }),
    ...ring,
    el('site', { name: 'nut_grasp', pos: [0, 0, 0], size: [0.005], rgba: [0, 0, 1, 0], group: 4 }),
    el('site', { name: 'ring_centre', pos: [RING_OFFSET * s, 0, 0], size: [0.005], rgba: [0, 1, 0, 0], group: 4 }),
  ]);
}

export function buildAssemblyScene(options: SceneOptions = {}): string {
  const scene = tabletopScene('assembly');
  scene.world(
    nutElements(resolveObjectScale(options)),
    el('body', { name: 'peg', pos: [0, 0.8, 0] }, [
      el('geom', { name: 'peg', type: 'cylinder', pos: [0, 0, PEG_TOP / 2], size: [PEG_RADIUS, PEG_TOP / 2], material: 'fixture' }),
      el('site', { name: 'peg_top', pos: [0, 0, PEG_TOP], size: [0.005], rgba: [0, 1, 0, 0], group: 4 }),
    ]),
  );
  return scene.build(options);
}

class AssemblyHandles {
  readonly grasp: number;
  readonly ring: number;
  readonly pegTop: number;
  constructor(readonly physics: Physics) {
    this.grasp = objectId(physics, 'site', 'nut_grasp');
    this.ring = objectId(physics, 'site', 'ring_centre');
    this.pegTop = objectId(physics, 'site', 'peg_top');
  }
  graspPos(): Vec3 {
    return sitePos(this.physics, this.grasp);
  }
  ringCentre(): Vec3 {
    return sitePos(this.physics, this.ring);
  }
  pegTopPos(): Vec3 {
    return sitePos(this.physics, this.pegTop);
  }
}

/** Looked up once per physics. */
const assemblyHandles = perPhysics((physics) => new AssemblyHandles(physics));

class AssemblyTask extends ArmTask {
  sampleLayout(rng: Rng, _physics: Physics): ArmLayout {
    const peg: Vec3 = [rng.uniform(-0.1, 0.1), rng.uniform(0.75, 0.85), 0];
    return { hand: HAND_START, fixtures: { peg }, objects: { nut: { pos: NUT_START } } };
  }

  /** graspReward: grasp = the handle point, object = the ring centre, goal = the peg top. */
  reward(physics: Physics): number {
    const nut = assemblyHandles(physics);
    return graspReward(physics, { grasp: nut.graspPos(), object: nut.ringCentre(), goal: nut.pegTopPos(), placeTolerance: RING_SUCCESS_RADIUS, success: this.success(physics) });
  }


  success(physics: Physics): boolean {
    const nut = assemblyHandles(physics);
    const ring = nut.ringCentre();
    const top = nut.pegTopPos();
    return horizontalDistance(ring, top) <= RING_SUCCESS_RADIUS && ring[2] < top[2];
  }
}

function assemblyExpert(): PickAndPlaceExpert {
  return new PickAndPlaceExpert({
    graspPoint: (physics) => assemblyHandles(physics).graspPos(),
    objectPoint: (physics) => assemblyHandles(physics).ringCentre(),
    // Down the peg to 1 cm above the table, then let go.
    goal: (physics) => {
      const top = assemblyHandles(physics).pegTopPos();
      return [top[0], top[1], RING_CAPSULE_RADIUS + 0.01];
    },
    approachGrip: -1,
    // The ring's underside 3 cm above the peg top.
    carryHeight: PEG_TOP + RING_CAPSULE_RADIUS + 0.03,
    alignTolerance: 0.003,
    placeSpeed: 0.3,
    hold: false,
  });
}

export const assembly: TaskDefinition = metaworldTask({
  name: 'assembly',
  version: 1,
  benchmarks: CORTEXBENCH_AND_FACTORWORLD,
  buildScene: buildAssemblyScene,
  createTask: () => new AssemblyTask(),
  createExpert: assemblyExpert,
  // Below x0.7 the ring's hole is narrower than the peg.
  factorTargets: { ...TABLETOP_FACTOR_TARGETS, objectScale: [0.7, 1.8] },
});

registerBuiltInTask(assembly);
