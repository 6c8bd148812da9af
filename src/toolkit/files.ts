import { closeSync, openSync, readSync } from 'node:fs';
import { InputError } from './errors.js';

/** 1 MiB: a scenario is a page of YAML (the stock shift is 4 KB); parsing one this size takes about a second. */
export const MAX_SCENARIO_BYTES = 1 << 20;
/** 16 MiB: a burn series is a list of steps, one per change in traffic, not one per minute. */
export const MAX_SERIES_BYTES = 16 << 20;

export function mebibytes(bytes: number): string {
  return `${Math.round((bytes / (1 << 20)) * 10) / 10} MiB`;
}

/** Why a file the user named cannot be read, as one phrase (`no such file`, `is a directory`). */
export function unreadable(file: string, code: string | undefined): InputError {
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code})`;
  return new InputError(why, file);
}

/**
 * Reads a text file the user named, at most `limit` bytes: a device (`/dev/zero`), a pipe or a file
 * that is simply too big is refused once the limit is passed, not read whole into memory first.
 */
export function readUserFile(path: string, limit = MAX_SCENARIO_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw unreadable(path, (error as NodeJS.ErrnoException).code);
  }
  const tooBig = () => new InputError(`is larger than ${mebibytes(limit)}, the most this reads`, path);
  try {
    // Read, not stat: a device or a pipe has no size. One byte over the limit is enough to know the
    // input is too big. A directory opens but fails to read (EISDIR), reported below.
    const buffer = Buffer.allocUnsafe(limit + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) return buffer.toString('utf8', 0, length);
      length += read;
      if (length > limit) throw tooBig();
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw unreadable(path, (error as NodeJS.ErrnoException).code);
  } finally {
    closeSync(fd);
  }
}

/** Reads and parses a JSON file the user named. */
export function readJsonFile(path: string, limit = MAX_SERIES_BYTES): unknown {
  const text = readUserFile(path, limit);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`invalid JSON: ${(error as Error).message}`, path);
  }
}
