import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../../toolkit/errors.js';

/** Loopback only: the inspector serves this machine's browser, never the network. */
export const HOST = '127.0.0.1';

/** Stately's online inspector, which the --stately bridge page embeds. Kept here, with HOST, so the
 *  CLI can name it in --help without loading the bridge. */
export const STATELY_URL = 'https://stately.ai/inspect';

/** Why a port cannot be listened on, for the errors a user can fix by choosing another. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: `is already in use on ${HOST} (pass --port 0 for a free one)`,
  EACCES: 'needs privileges this user lacks (pass a port above 1023, or --port 0 for a free one)',
};

/** Listens on HOST; a port in use is bad input naming --port. Resolves to the port bound. */
export async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const why = LISTEN_ERRORS[error.code ?? ''];
      reject(why ? new InputError(`port ${port} ${why}`, undefined, '--port') : error);
    };
    server.once('error', failed);
    server.listen(port, HOST, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
