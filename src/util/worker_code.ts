/**
 * The code a worker thread evaluates to load its entry module `name` (without extension) next to the module
 * whose `import.meta.url` is `moduleUrl`: TypeScript sources load through tsx, the built package as JS.
 */
export function workerEntryCode(moduleUrl: string, name: string): string {
  const fromSource = moduleUrl.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, moduleUrl).href;
  return fromSource
    ? `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`
    : `import(${JSON.stringify(entry)})`;
}
