/** Where `r3m:` / `vc1:` specs find their weights: a checkpoint file, or a folder holding one under a known name. */
import { existsSync, statSync } from 'node:fs';
import { fileInModelFolder } from '../model_files.js';

export function locateCheckpoint(path: string, names: readonly string[], context: string): string {
  if (!path) throw new Error(`${context}: expected a checkpoint file or folder after the colon`);
  if (!existsSync(path)) throw new Error(`${context}: '${path}' does not exist`);
  if (!statSync(path).isDirectory()) return path;
  const found = names.map((n) => fileInModelFolder(path, n, context)).find((p) => existsSync(p));
  if (!found) throw new Error(`${context}: folder '${path}' holds none of ${names.join(', ')}`);
  return found;
}
