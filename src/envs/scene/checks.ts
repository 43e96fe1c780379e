/** Small value checks shared by the scene builder and the run-time setters. */

export function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** Throws unless `values` is `length` numbers in [0, 1] (colours, light levels). */
export function validateUnitVector(what: string, values: unknown, length: number): void {
  if (!Array.isArray(values) || values.length !== length || !values.every((v) => isFiniteNumber(v) && v >= 0 && v <= 1)) {
    throw new Error(`${what} must be ${length} numbers in [0, 1], got ${JSON.stringify(values)}`);
  }
}
