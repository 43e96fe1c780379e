import { afterAll } from 'vitest';
import { Env } from '../../src/envs/env.js';

/** A `make(task)` for one test file: every env it makes is closed after the file's tests. */
export function envPool(): (name: string) => Promise<Env> {
  const envs: Env[] = [];
  afterAll(() => envs.forEach((env) => env.close()));
  return async (name) => {
    const env = await Env.make(name);
    envs.push(env);
    return env;
  };
}
