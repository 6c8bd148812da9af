import { createHash, timingSafeEqual } from 'node:crypto';
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

/** A bearer-token check that takes as long for a wrong token as for a right one. */
export function tokenCheck(token: string): (authorization: string | undefined) => boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = digest(token);
  return (authorization) => {
    const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
    // Digests have one length, so timingSafeEqual never sees the token's length differ.
    return timingSafeEqual(digest(given), expected) && given.length > 0;
  };
}
