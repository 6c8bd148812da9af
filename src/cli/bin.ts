import { importPlaysWith } from '../engine/load-plays.js';
import { main } from './main.js';

/**
 * The `runbook` process: run the command, then exit once the output has reached its readers.
 * bin/runbook.cjs loads this from the bundle (dist/cli/bin.cjs) or, without one, from dist/src/cli;
 * with the bundle it passes its own import() for plays modules (see `importPlaysWith`).
 */
export async function runCli(
  argv: readonly string[],
  importer?: (url: string) => Promise<unknown>,
): Promise<never> {
  if (importer) importPlaysWith(importer);
  process.exitCode = await main([...argv]);
  // Everything the CLI started has finished by now. A plugged-in play or plays module may have left a
  // timer or a socket behind; it must not keep the process (and a CI job) waiting.
  const flushed = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => (stream.destroyed ? resolve() : stream.write('', () => resolve())));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit();
}
