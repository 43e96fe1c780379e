/**
 * Lock files: a file created exclusively that names its owner (pid, host, start time, what it is doing), so that a
 * second process is refused with a message naming the holder, and a lock left by a killed process is recognised
 * (its pid is gone) and taken over instead of blocking forever.
 *
 * The owner record is written to a temporary file that is then hard-linked to the lock path: link() fails when the
 * path exists, so creation is exclusive and a lock file is never seen half-written.
 */
import { closeSync, linkSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { errnoCode, writeError } from './fs_errors.js';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  /** What the holder is doing, e.g. "bench run (config 3f2a...)". */
  purpose: string;
}

export interface HeldLock {
  path: string;
  owner: LockOwner;
  /** Removes the lock file if it is still this process's (idempotent). */
  release(): void;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/** Lock paths this process holds: a lock naming our own pid that is not among them was left by an earlier call. */
const held = new Set<string>();

/** A lock that a breaker file older than this is abandoned (breaking takes microseconds). */
const BREAKER_STALE_MS = 10_000;

/** "pid 123 on host h since <time> (<purpose>)". */
export function describeOwner(owner: LockOwner): string {
  return `pid ${owner.pid} on ${owner.host} since ${owner.started} (${owner.purpose})`;
}

function readOwner(path: string): { text: string; owner: LockOwner | null } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string') {
      return { text, owner: { pid: value.pid, host: value.host, started: String(value.started), purpose: String(value.purpose) } };
    }
  } catch {
    // not an owner record: treated as stale below
  }
  return { text, owner: null };
}

/** A lock is stale when its owner is a dead process on this host, or an unreadable record. */
function isStale(path: string, owner: LockOwner | null): boolean {
  if (owner === null) return true;
  if (owner.host !== hostname()) return false; // cannot check another machine's processes
  if (owner.pid === process.pid) return !held.has(path);
  return !processIsAlive(owner.pid);
}

/** Removes a stale lock whose content is still `staleText`, under a breaker file so two breakers never race. */
function breakStale(path: string, staleText: string): void {
  const breaker = `${path}.break`;
  try {
    closeSync(openSync(breaker, 'wx'));
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw writeError(error, 'lock breaker', breaker);
    try {
      if (Date.now() - statSync(breaker).mtimeMs > BREAKER_STALE_MS) rmSync(breaker, { force: true });
    } catch {
      // gone already
    }
    return; // another process is breaking it; the caller looks again
  }
  try {
    if (readOwner(path)?.text === staleText) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

/**
 * Takes the lock at `path`, or returns the live owner that holds it. A stale lock (see isStale) is removed and
 * taken; `onStale` hears about it.
 */
export function tryLock(lockPath: string, purpose: string, onStale?: (owner: LockOwner | null) => void): HeldLock | LockOwner {
  const path = resolve(lockPath);
  const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), purpose };
  const text = `${JSON.stringify(owner)}\n`;
  const tmp = `${path}.tmp-${process.pid}-lock`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(tmp, text);
      linkSync(tmp, path);
      held.add(path);
      return {
        path,
        owner,
        release() {
          if (!held.delete(path)) return;
          if (readOwner(path)?.text === text) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw writeError(error, 'lock file', path);
    } finally {
      rmSync(tmp, { force: true });
    }
    const current = readOwner(path);
    if (current === null) continue; // released meanwhile
    if (!isStale(path, current.owner)) return current.owner!;
    onStale?.(current.owner);
    breakStale(path, current.text);
  }
  const current = readOwner(path);
  if (current?.owner) return current.owner;
  throw new Error(`cannot take the lock '${path}': it keeps changing; is another process breaking it?`);
}

/** The owner of the lock at `path` while it is live; null when there is no lock or a stale one. */
export function liveOwner(path: string): LockOwner | null {
  const current = readOwner(resolve(path));
  return current === null || isStale(resolve(path), current.owner) ? null : current.owner;
}

export function isHeldLock(result: HeldLock | LockOwner): result is HeldLock {
  return 'release' in result;
}

/**
 * Runs `critical` while holding the lock at `path`, for short critical sections (milliseconds): a lock held by a
 * live process is waited for, up to `waitMs`, then an error names its owner.
 */
export function withLock<T>(path: string, purpose: string, critical: () => T, waitMs = 10_000): T {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lock = tryLock(path, purpose);
    if (isHeldLock(lock)) {
      try {
        return critical();
      } finally {
        lock.release();
      }
    }
    if (Date.now() > deadline) throw new Error(`the lock '${path}' is held by ${describeOwner(lock)}; if that process is gone, delete the file`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
  }
}
