import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { InputError } from '../toolkit/errors.js';

/** Where a command writes: stdout for results (JSON with --json), stderr for narration and progress. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

// A reader that goes away early (`runbook paths | head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
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
 * Writes a file atomically: into a temporary sibling first, renamed into place only once complete,
 * so a failure never leaves a half-written file behind.
 */
export async function writeFileAtomic(path: string, chunks: Iterable<string> | AsyncIterable<string>) {
  const tmp = `${path}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp);
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
    rmSync(tmp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new InputError(`cannot write (${code})`, path);
    throw error;
  }
}
