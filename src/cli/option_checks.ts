/**
 * Checks for command-line values, used as yargs `coerce` functions so that a bad value stops the command before
 * any work starts, with one line that names the flag, what it expected and what it got.
 */
import type { Shard } from '../run/plan.js';
import { MAX_SEED } from '../util/rng.js';

function single(flag: string, value: unknown): unknown {
  if (Array.isArray(value)) throw new Error(`--${flag} was given ${value.length} times; give it once`);
  return value;
}

function asNumber(flag: string, value: unknown, expected: string): number {
  const v = single(flag, value);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new Error(`--${flag} must be ${expected}, got '${String(v)}'`);
  return n;
}

/** An integer in [min, max]. */
export function integerOption(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: unknown) => number {
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
  return (value) => {
    const n = asNumber(flag, value, expected);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag} must be ${expected}, got '${String(value)}'`);
    return n;
  };
}

/** A non-empty string. */
export function stringOption(flag: string): (value: unknown) => string {
  return (value) => {
    const v = single(flag, value);
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`--${flag} needs a value`);
    const s = String(v);
    if (s.trim() === '') throw new Error(`--${flag} must not be empty`);
    return s;
  };
}

/** One of `choices`. */
export function choiceOption<T extends string>(flag: string, choices: readonly T[]): (value: unknown) => T {
  return (value) => {
    const text = stringOption(flag)(value);
    const known = choices.find((c) => c === text);
    if (known === undefined) throw new Error(`--${flag}: expected ${choices.join(', ')}, got '${text}'`);
    return known;
  };
}

/** A flag every call must give, with a non-empty string value. */
export function requiredStringOption(flag: string, describe: string) {
  return { type: 'string', demandOption: true, requiresArg: true, describe, coerce: stringOption(flag) } as const;
}

/** A comma-separated list, e.g. "--tasks a,b": entries trimmed, an empty entry is an error. */
export function listOption(flag: string): (value: unknown) => string[] {
  return (value) => {
    const text = stringOption(flag)(value);
    const parts = text.split(',').map((s) => s.trim());
    if (parts.some((p) => p === '')) throw new Error(`--${flag}: empty entry in '${text}' (expected a comma-separated list)`);
    return parts;
  };
}

/** "100,200,300" -> [100, 200, 300]: a list of policy seeds (32-bit unsigned integers). */
export function seedListOption(flag = 'seeds'): (value: unknown) => number[] {
  return (value) => {
    const text = stringOption(flag)(value);
    const parts = text.split(',').map((s) => s.trim());
    if (parts.some((p) => p === '')) {
      throw new Error(`--${flag}: expected a comma-separated list of non-negative integers (e.g. 100,200,300), got '${text}'`);
    }
    return parts.map((p) => {
      if (!/^\d+$/.test(p)) throw new Error(`--${flag}: '${p}' is not a non-negative integer (expected e.g. 100,200,300; got '${text}')`);
      // Seeds are 32-bit: a larger value would alias a smaller one (4294967396 = 2^32 + 100 would replay seed 100).
      if (Number(p) > MAX_SEED) throw new Error(`--${flag}: ${p} is out of range; seeds are integers in [0, ${MAX_SEED}]`);
      return Number(p);
    });
  };
}

/** "1,5" -> [1, 5]: distinct integers >= `min`. */
export function integerListOption(flag: string, min: number): (value: unknown) => number[] {
  return (value) => {
    const parts = listOption(flag)(value);
    const numbers = parts.map((p) => {
      if (!/^\d+$/.test(p) || !Number.isSafeInteger(Number(p)) || Number(p) < min) {
        throw new Error(`--${flag}: '${p}' is not an integer >= ${min} (expected e.g. 1,5)`);
      }
      return Number(p);
    });
    const twice = numbers.find((n, i) => numbers.indexOf(n) !== i);
    if (twice !== undefined) throw new Error(`--${flag}: ${twice} is listed twice`);
    return numbers;
  };
}

/** "2/4" -> { index: 1, count: 4 }: shard i of n, counted from 1 on the command line and from 0 in code. */
export function shardOption(flag = 'shard'): (value: unknown) => Shard {
  return (value) => {
    const text = stringOption(flag)(value);
    const m = /^(\d+)\/(\d+)$/.exec(text.trim());
    const i = m ? Number(m[1]) : NaN;
    const n = m ? Number(m[2]) : NaN;
    if (!m || n < 1 || i < 1 || i > n) throw new Error(`--${flag}: expected i/n with 1 <= i <= n (e.g. 2/4), got '${text}'`);
    return { index: i - 1, count: n };
  };
}

/** Seeds everywhere are 32-bit unsigned integers (see src/util/rng.ts). */
export const seedOption = (flag = 'seed'): ((value: unknown) => number) => integerOption(flag, 0, MAX_SEED);
