import { createServer } from 'node:net';

/** A port free on loopback now: the real servers the tests and benchmarks start listen on it. */
export function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}
