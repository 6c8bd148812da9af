import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { SqliteStore } from '../src/engine/sqlite-store.js';
import { runCommand } from '../src/live/plays.js';
import { ReleaseFollower } from '../src/live/release-hook.js';
import { type LiveServer, startLive, until } from './support/live-server.js';

/**
 * `runbook serve` against input meant to break it: what the API refuses before anything is journaled,
 * and what a hook or a replay must survive when something bad got through anyway.
 */

const servers: LiveServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function live(): Promise<LiveServer> {
  const server = await startLive(new SqliteStore(':memory:'));
  servers.push(server);
  return server;
}

const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('release names at the API', () => {
  it.each([
    ['a NUL byte', 'v3\u0000fix'],
    ['200 KB', 'v'.repeat(200_000)],
    ['a newline', 'v3\nv4'],
    ['a leading dash (an option to a hook)', '-rf'],
    ['a space', 'v3 fix'],
  ])('refuses a candidate with %s: 400 naming candidate, nothing journaled', async (_what, candidate) => {
    const { base, live: engine } = await live();
    const before = engine.run?.entries().length;
    const response = await post(base, '/api/deploys', { candidate });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; field: string };
    expect(body.field).toBe('candidate');
    expect(body.error).toMatch(/release name|at most 200/);
    expect(engine.run?.entries().length).toBe(before);
  });

  it('takes a version, a tag and an image reference (then the eval set decides)', async () => {
    const { base } = await live();
    for (const candidate of ['v3-fix', '1.4.2+build.7', 'registry.example/agent:v3@sha256:ab12']) {
      const response = await post(base, '/api/deploys', { candidate });
      // The shipped configuration has no eval set: refused for that, not for the name.
      expect(response.status, candidate).toBe(409);
    }
  });
});

describe('a hook that cannot start', () => {
  const exec = { command: '/bin/true', args: [], env: [], timeoutSeconds: 5 };

  it('is a failed call naming why when a fact holds a NUL byte', async () => {
    const called = await runCommand(exec, { key: 'k', facts: { release: 'a\u0000b' } });
    expect(called.ok).toBe(false);
    expect(called.detail).toContain('cannot run (ERR_INVALID_ARG_VALUE)');
  });

  it('is a failed call naming why when a fact is longer than execve takes', async () => {
    const called = await runCommand(exec, { key: 'k', facts: { release: 'v'.repeat(200_000) } });
    expect(called.ok).toBe(false);
    expect(called.detail).toContain('cannot run (E2BIG)');
  });

  it('is retried and reported by the deploy follower, never a crash', async () => {
    const history = [
      { release: 'v2', at: 0, via: 'initial' as const },
      { release: 'v3\u0000fix', at: 1, via: 'canary' as const },
    ];
    const logged: string[] = [];
    const follower = new ReleaseFollower({
      engine: { releaseHistory: () => history } as unknown as Engine,
      run: 'r1',
      hook: { play: 'exec', with: exec },
      log: (message) => logged.push(message),
    });
    follower.wake();
    try {
      const failed = await until(
        'the hook failure to be reported',
        async () => logged.find((m) => m.startsWith('deploy hook failed, retrying')) ?? null,
      );
      expect(failed).toContain('cannot run (ERR_INVALID_ARG_VALUE)');
    } finally {
      follower.stop();
    }
  });
});
