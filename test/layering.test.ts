/**
 * The source layering (README, Layout): every import points to the same folder or a lower layer, the three
 * back-ends (envs, encoders, policies) never import each other, and run/ never reads encoder-spec syntax
 * (it asks the encoder registry).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KNOWN_ENCODER_SPECS } from '../src/encoders/registry.js';

const SRC = resolve(import.meta.dirname, '..', 'src');
/** Higher layers may import lower ones; folders on one level may not import each other. */
const LAYERS: Record<string, number> = { cli: 8, run: 7, results: 6, eval: 5, data: 4, protocol: 3, distill: 3, envs: 2, encoders: 2, policies: 2, util: 1 };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const folderOf = (path: string): string => relative(SRC, path).split('/')[0]!;
const withoutComments = (code: string): string => code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');

/** "from -> to" for every relative import (static or dynamic) that leaves its folder. */
function importArrows(): string[] {
  const arrows = new Set<string>();
  for (const file of sources(SRC)) {
    for (const m of withoutComments(readFileSync(file, 'utf8')).matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
      const from = folderOf(file);
      const to = folderOf(resolve(dirname(file), m[1]!));
      if (from !== to) arrows.add(`${from} -> ${to}`);
    }
  }
  return [...arrows].sort();
}

describe('source layering', () => {
  it('imports only point down the layers, and every folder has a layer', () => {
    const arrows = importArrows();
    expect(arrows.length).toBeGreaterThan(10);
    const wrong = arrows.filter((a) => {
      const [from, to] = a.split(' -> ') as [string, string];
      return !(from in LAYERS) || !(to in LAYERS) || LAYERS[from]! <= LAYERS[to]!;
    });
    expect(wrong).toEqual([]);
    expect(arrows).not.toContain('results -> run');
  });

  it('run/ reads no encoder-spec syntax', () => {
    const prefixes = KNOWN_ENCODER_SPECS.map((s) => s.replace(/\[.*$/, '').replace(/:.*$/, ':'));
    expect(prefixes).toContain('theia:');
    const pattern = new RegExp(`['"\`](${prefixes.map((p) => p.replace(/[-:]/g, '\\$&')).join('|')})`);
    const offending = sources(join(SRC, 'run')).filter((file) => pattern.test(withoutComments(readFileSync(file, 'utf8'))));
    expect(offending).toEqual([]);
  });
});
