/**
 * Checks for command-line values, used as yargs `coerce` functions so that a bad value stops the command before
 * any work starts, with one line that names the flag, what it expected and what it got.
 */

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

/** A comma-separated list of names from `allowed`, e.g. "--outputs cls,pooled". */
export function listOption<T extends string>(flag: string, allowed: readonly T[]): (value: unknown) => T[] {
  return (value) => {
    const items = stringOption(flag)(value)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const item of items) {
      if (!(allowed as readonly string[]).includes(item)) {
        throw new Error(`--${flag}: unknown value '${item}'; expected a comma-separated list of ${allowed.join(', ')}`);
      }
    }
    if (items.length === 0) throw new Error(`--${flag} must list at least one of ${allowed.join(', ')}`);
    return [...new Set(items)] as T[];
  };
}

/** Seeds everywhere are 32-bit unsigned integers (see src/util/rng.ts). */
export const seedOption = (flag = 'seed'): ((value: unknown) => number) => integerOption(flag, 0, 0xffffffff);
