import { afterAll, describe, expect, it } from 'vitest';
import { compilePhysics, type Physics } from '../src/envs/mujoco.js';
import { findObjectId, jointDofAddress, jointQposAddress, mocapIndex, objectId, objectNames, perPhysics, sensorAddress } from '../src/envs/named.js';
import { RolloutData } from '../src/envs/experts/rollout_data.js';

/** A free body before a hinge and a slide (so addresses differ from ids), a mocap body, a sensor after another one. */
const MJCF = `<mujoco>
  <worldbody>
    <body name="ball"><freejoint name="free"/><geom name="ball" size=".1"/></body>
    <body name="arm" pos="1 0 0">
      <joint name="hinge" type="hinge"/><joint name="slide" type="slide"/>
      <geom name="arm" size=".1"/><site name="tip" pos=".2 0 0"/>
    </body>
    <body name="target" mocap="true"/>
  </worldbody>
  <actuator><motor name="push" joint="slide"/></actuator>
  <sensor><framepos name="ball_pos" objtype="body" objname="ball"/><jointpos name="hinge_pos" joint="hinge"/></sensor>
</mujoco>`;

const physics: Physics[] = [];
async function compile(): Promise<Physics> {
  const p = await compilePhysics('named-test', MJCF);
  physics.push(p);
  return p;
}
afterAll(() => physics.forEach((p) => p.dispose()));

describe('named access', () => {
  it('finds ids and the qpos, qvel, sensordata and mocap addresses by name', async () => {
    const p = await compile();
    expect(objectId(p, 'body', 'arm')).toBe(2);
    expect(objectId(p, 'joint', 'hinge')).toBe(1);
    // The free joint takes 7 qpos and 6 dofs before the hinge.
    expect(jointQposAddress(p, 'hinge')).toBe(7);
    expect(jointQposAddress(p, 'slide')).toBe(8);
    expect(jointDofAddress(p, 'slide')).toBe(7);
    expect(sensorAddress(p, 'hinge_pos')).toBe(3);
    expect(mocapIndex(p, 'target')).toBe(0);
    expect(objectId(p, 'actuator', 'push')).toBe(0);
    expect(findObjectId(p, 'site', 'nope')).toBe(-1);
    expect(objectNames(p, 'geom')).toEqual(['ball', 'arm']);
  });

  it('names what is missing and what the model has', async () => {
    const p = await compile();
    expect(() => objectId(p, 'joint', 'elbow')).toThrow("the compiled model has no joint named 'elbow'; joints: free, hinge, slide");
    expect(() => sensorAddress(p, 'speed')).toThrow(/no sensor named 'speed'; sensors: ball_pos, hinge_pos/);
    expect(() => mocapIndex(p, 'arm')).toThrow(/body 'arm' is not a mocap body/);
  });

  it('perPhysics looks up once per physics, and separately for a rollout physics', async () => {
    const p = await compile();
    const rollout = new RolloutData(p);
    try {
      let lookups = 0;
      const handles = perPhysics((ph) => {
        lookups++;
        return { hinge: jointQposAddress(ph, 'hinge') };
      });
      const first = handles(p);
      for (let i = 0; i < 10; i++) expect(handles(p)).toBe(first);
      const forRollout = handles(rollout.physics);
      expect(forRollout).not.toBe(first);
      expect(handles(p)).toBe(first);
      expect(handles(rollout.physics)).toBe(forRollout);
      expect(lookups).toBe(2);
    } finally {
      rollout.dispose();
    }
  });
});
