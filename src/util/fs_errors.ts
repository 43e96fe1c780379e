/**
 * File-system failures in words: what was being read or written, where, and why the system refused, instead of
 * raw errno text ("ENOSPC: no space left on device, write") that names neither the file nor its purpose.
 */

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EFBIG: "the file would exceed the file-size limit (see 'ulimit -f') or the file system's maximum",
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'something else already exists there',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the file system is read-only',
  ENOENT: 'it (or a folder above it) does not exist',
  ENAMETOOLONG: 'the path is too long',
  EMFILE: 'the process has too many open files',
  ENFILE: 'the system has too many open files',
  EIO: 'an input/output error occurred (failing disk or network file system)',
  ELOOP: 'the path has too many symbolic links (a link loop?)',
};

/** The errno code of a Node file-system error, or null for anything else. */
export function errnoCode(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : null;
}

/** A failed read or write, naming the path, what it holds and the reason; `code` is the errno code when known. */
export class FileSystemError extends Error {
  constructor(
    readonly path: string,
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'FileSystemError';
  }
}

/** The reason for `error` in words, with its code: "the disk is full (ENOSPC)". */
export function describeFsError(error: unknown): string {
  const code = errnoCode(error);
  if (code === null) return error instanceof Error ? error.message : String(error);
  return `${REASONS[code] ?? (error as Error).message} (${code})`;
}

/** Wraps an error of writing `what` (e.g. "cell result") at `path`; already-translated errors pass through. */
export function writeError(error: unknown, what: string, path: string): Error {
  if (error instanceof FileSystemError) return error;
  return new FileSystemError(path, `cannot write ${what} '${path}': ${describeFsError(error)}`, errnoCode(error));
}

/** Wraps an error of reading `what` at `path`. */
export function readError(error: unknown, what: string, path: string): Error {
  if (error instanceof FileSystemError) return error;
  return new FileSystemError(path, `cannot read ${what} '${path}': ${describeFsError(error)}`, errnoCode(error));
}
