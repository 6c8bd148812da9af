import { accessSync, constants, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../toolkit/errors.js';

/** Where a command writes: stdout for results (JSON with --json), stderr for narration and progress. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** The stream behind `out`, when there is one: long outputs wait for it to drain (see streamOut). */
  outStream?: NodeJS.WriteStream;
  /** The stream behind `err`, when there is one: progress is shown only when it is a terminal. */
  errStream?: NodeJS.WriteStream;
}

// A reader that goes away early (`runbook paths | head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  outStream: process.stdout,
  errStream: process.stderr,
};

/** Collects output in memory: for tests, and for commands that must not half-write a file. */
export function bufferIo(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
  };
  return io;
}

/**
 * Writes a long output chunk by chunk. When a reader is slower (a pipe holds 64 KB), each chunk
 * waits for the last to drain instead of piling up in memory; when the reader goes away
 * (`| head -c 200`), writing stops quietly: the rest was not wanted.
 */
export async function streamOut(io: Io, chunks: Iterable<string>): Promise<void> {
  const stream = io.outStream;
  if (!stream) {
    for (const chunk of chunks) io.out(chunk);
    return;
  }
  let open = true;
  let wake: () => void = () => undefined;
  const stop = () => {
    open = false;
    wake();
  };
  stream.once('close', stop);
  stream.once('error', stop);
  try {
    for (const chunk of chunks) {
      if (!open) return;
      if (!stream.write(chunk)) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          stream.once('drain', resolve);
        });
        stream.off('drain', wake);
      }
    }
  } finally {
    stream.off('close', stop);
    stream.off('error', stop);
  }
}

/**
 * Checked before the work that produces the file, so a bad --out fails at once rather than after a
 * long run, and in words writeFileAtomic's errno cannot give (which folder is missing).
 */
export function checkWritable(out: string, flag = '--out'): void {
  const directory = dirname(out);
  try {
    if (!statSync(directory).isDirectory())
      throw new InputError(`${directory} is not a directory`, out, flag);
    accessSync(directory, constants.W_OK);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : `cannot write (${code})`;
    throw new InputError(`${why}: ${directory}`, out, flag);
  }
  if (isDirectory(out)) throw new InputError('is a directory', out, flag);
}

/** Why a file cannot be written, for the errors a user can fix. */
const WRITE_ERRORS: Record<string, string> = {
  ENOENT: 'no such directory (ENOENT)',
  ENOTDIR: 'a part of the path is not a directory (ENOTDIR)',
  EISDIR: 'is a directory (EISDIR)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'permission denied (EPERM)',
  EROFS: 'read-only file system (EROFS)',
  ENOSPC: 'no space left on the device (ENOSPC)',
  ENAMETOOLONG: 'the name is too long (ENAMETOOLONG)',
};

/** A folder is there: writing beside it would leave `DIR.tmp-PID` behind and then fail to rename. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Removes a file, if it is there; a path that cannot even hold one (`/etc/passwd/x`) has nothing to remove. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Nothing was created there.
  }
}

/** Exit codes of a process stopped by a signal, as shells report them (128 + the signal number). */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/**
 * While `tmp` is being written, Ctrl-C, a kill or a closed terminal removes it before the process
 * exits, as the signal would have. Returns the function that stops watching.
 */
function removeOnSignal(tmp: string, stream: { destroy(): void }): () => void {
  const handlers = Object.entries(SIGNAL_EXIT).map(([signal, code]) => {
    const handler = () => {
      stream.destroy();
      removeQuietly(tmp);
      process.exit(code);
    };
    process.once(signal as NodeJS.Signals, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal as NodeJS.Signals, handler);
  };
}

/**
 * Writes a file atomically: into a temporary sibling first, renamed into place only once complete,
 * so a failure or an interruption never leaves a half-written file behind. Errors name the file and
 * the flag that named it.
 */
export async function writeFileAtomic(
  path: string,
  chunks: Iterable<string> | AsyncIterable<string>,
  flag = '--out',
) {
  if (isDirectory(path)) throw new InputError('cannot write: is a directory (EISDIR)', path, flag);
  const tmp = `${path}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp);
  const unwatch = removeOnSignal(tmp, stream);
  // A write error (missing folder, full disk) rejects instead of crashing the process.
  let failure: Error | undefined;
  const failed = new Promise<never>((_, reject) =>
    stream.once('error', (error) => {
      failure = error;
      reject(error);
    }),
  );
  failed.catch(() => undefined);
  try {
    for await (const chunk of chunks) {
      if (failure) throw failure;
      if (!stream.write(chunk))
        await Promise.race([new Promise<void>((resolve) => stream.once('drain', () => resolve())), failed]);
    }
    await Promise.race([new Promise<void>((resolve) => stream.end(() => resolve())), failed]);
    if (failure) throw failure;
    renameSync(tmp, path);
  } catch (error) {
    stream.destroy();
    removeQuietly(tmp);
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new InputError(`cannot write: ${WRITE_ERRORS[code] ?? code}`, path, flag);
    throw error;
  } finally {
    unwatch();
  }
}
