import { readFileSync } from 'node:fs';
import { InputError } from './errors.js';

/** Reads a text file the user named; a missing or unreadable file is bad input naming it. */
export function readUserFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code})`;
    throw new InputError(why, path);
  }
}

/** Reads and parses a JSON file the user named. */
export function readJsonFile(path: string): unknown {
  const text = readUserFile(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`invalid JSON: ${(error as Error).message}`, path);
  }
}
