import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../../toolkit/errors.js';

/** Loopback only: the inspector serves this machine's browser, never the network. */
export const HOST = '127.0.0.1';

/** Listens on HOST; a port in use is bad input naming --port. Resolves to the port bound. */
export async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new InputError(
              `port ${port} is already in use (pass --port 0 for a free one)`,
              undefined,
              '--port',
            )
          : error,
      );
    };
    server.once('error', failed);
    server.listen(port, HOST, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
