import { isIP } from 'node:net';
import { InputError } from '../toolkit/errors.js';

/**
 * Who may talk to the server: anyone on this machine by default (it binds loopback); off the machine
 * only with a bearer token, compared in constant time.
 */

export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN = '127.0.0.1:9095';

/** `HOST:PORT`, `[v6]:PORT`; port 0 asks the system for a free one. */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535)
    throw new InputError('must be HOST:PORT (e.g. 127.0.0.1:9095)', undefined, '--listen');
  return { host: (match[1] ?? match[2]) as string, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Whether a request's `Host` names this server: its own address and port (as the socket it came in on
 * has them), this machine's loopback names when it came in on loopback, or a name the deployment
 * gave (`--allow-host`, with or without the port). A page on another site that rebinds its own name
 * to this address sends its own name, and is refused; so is a request without a Host.
 */
export function hostCheck(
  names: readonly string[],
): (host: string | undefined, local: string, port: number) => boolean {
  const given = new Set(names.map((n) => n.toLowerCase()));
  return (host, local, port) => {
    if (!host) return false;
    const wanted = host.toLowerCase();
    const bare = local.startsWith('::ffff:') ? local.slice(7) : local;
    const own = isIP(bare) === 6 ? `[${bare}]` : bare;
    const names = isLoopback(bare) ? [own, '127.0.0.1', 'localhost', '[::1]'] : [own];
    if (names.some((name) => wanted === `${name}:${port}` || (port === 80 && wanted === name))) return true;
    const suffix = `:${port}`;
    return given.has(wanted) || (wanted.endsWith(suffix) && given.has(wanted.slice(0, -suffix.length)));
  };
}

export { tokenCheck } from '../toolkit/token.js';
