/**
 * Reading JSON files with errors that name the file and what it holds, and never echo its content: V8's parse
 * errors quote the text ("Unexpected token 'r', "root:x:0:0..." is not valid JSON"), which would print secrets
 * from a file that is not what it claims to be.
 */
import { readFileSync } from 'node:fs';
import { readError } from './fs_errors.js';

/** Why `text` is not JSON, in words that quote none of it. */
function syntaxProblem(error: unknown, text: string): string {
  if (text.trim() === '') return 'it is empty';
  const message = error instanceof Error ? error.message : '';
  const position = Number(/at position (\d+)/.exec(message)?.[1] ?? Number.NaN);
  if (/Unexpected end of JSON input/.test(message) || position >= text.length) return `it ends early, after ${Buffer.byteLength(text)} bytes (truncated?)`;
  return Number.isFinite(position) ? `a syntax error at character ${position}` : 'a syntax error';
}

/** Parses `text`; `source` names it in errors (e.g. "cell result 'DIR/cells/x.json'"). */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${source} is not valid JSON: ${syntaxProblem(error, text)}`);
  }
}

/** Reads and parses `path`; `what` names what it holds (e.g. "cell result"). */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw readError(error, what, path);
  }
  return parseJson(text, `${what} '${path}'`);
}
