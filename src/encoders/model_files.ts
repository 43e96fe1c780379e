/**
 * Files of a model folder (a checkpoint directory, an ONNX model's folder) are read only when they lie inside it:
 * a symbolic link out of the folder (config.json -> /etc/shadow) is refused rather than followed, so a model
 * folder from elsewhere cannot make the harness read, and echo in an error, any other file.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { errnoCode } from '../util/fs_errors.js';

/**
 * The real path of `name` (relative) inside the folder `dir`, or `join(dir, name)` unchanged when it does not
 * exist (the caller reports that). Errors when it resolves outside `dir`; `context` names the model in errors.
 */
export function fileInModelFolder(dir: string, name: string, context: string): string {
  const path = join(dir, name);
  const lexical = relative(dir, path);
  if (isAbsolute(name) || lexical === '' || lexical.startsWith('..')) {
    throw new Error(`${context}: refusing '${name}': files of a model folder are named by paths inside it`);
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return path;
    throw error;
  }
  const folder = realpathSync(dir);
  const inside = relative(folder, real);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new Error(`${context}: refusing '${path}': it resolves to '${real}', outside the model folder '${folder}' (links out of a model folder are not followed)`);
  }
  return real;
}
