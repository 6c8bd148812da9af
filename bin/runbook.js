#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm ci` (the package's `prepare` script runs tsc).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));

// Everything the CLI started has finished by now. A plugged-in play or plays module may have left a
// timer or a socket behind; it must not keep the process (and a CI job) waiting. Exit once the
// output has reached its readers.
const flushed = (stream) =>
  new Promise((resolve) => (stream.destroyed ? resolve() : stream.write('', () => resolve())));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit();
