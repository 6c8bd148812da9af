import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentService, startAgentService } from '../examples/agent-service/server.js';

/**
 * The game day's example service, over real HTTP: traffic counted per release, deploys and
 * rollbacks that change the answers, idempotent hooks, and 400s that name the field.
 */

const running: AgentService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.close()));
});

async function start(options: Parameters<typeof startAgentService>[0] = {}): Promise<AgentService> {
  const service = await startAgentService({ requestsPerSecond: 0, ...options });
  running.push(service);
  return service;
}

async function post(
  service: AgentService,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** `agent_answers_total` by `outcome/topic`, read from the scrape as Prometheus would. */
async function answerCounts(service: AgentService): Promise<Map<string, number>> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^agent_answers_total\{(.*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    counts.set(`${labels.outcome}/${labels.topic}`, Number(match[2]));
  }
  return counts;
}

const sum = (counts: Map<string, number>, outcome?: string) =>
  [...counts].filter(([key]) => !outcome || key.startsWith(`${outcome}/`)).reduce((n, [, v]) => n + v, 0);

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const REFUND = 'How long does a refund take?';
const REFUND_ANSWER = 'Refunds reach your card within 5 business days.';

describe('agent service', () => {
  it('exposes every topic and outcome at 0 from the start, the live release and a fresh index', async () => {
    const service = await start();
    const counts = await answerCounts(service);
    expect(counts.size).toBe(10);
    expect(sum(counts)).toBe(0);
    expect(counts.get('wrong/refunds')).toBe(0);
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toContain('agent_release_info{release="v2"} 1');
    expect(text).toContain('agent_index_fresh 1');
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ ok: true });
  });

  it('serves steady traffic whose wrong answers follow the live release', async () => {
    // 500 a second is 50 requests a tick, ten cycles of the five questions: every tick is exact.
    const service = await start({ requestsPerSecond: 500 });
    await until('v2 traffic', async () => sum(await answerCounts(service)) >= 100);
    const onV2 = await answerCounts(service);
    expect(sum(onV2, 'wrong')).toBe(0);

    expect(await post(service, '/deploy', { release: 'v3' })).toEqual({
      status: 200,
      body: { live: 'v3', previous: 'v2' },
    });
    await until('v3 traffic', async () => sum(await answerCounts(service)) >= sum(onV2) + 100);
    const onV3 = await answerCounts(service);
    const served = sum(onV3) - sum(onV2);
    // v3 answers refunds (one question in five) wrongly and nothing else.
    expect(sum(onV3, 'wrong')).toBe(served / 5);
    expect(onV3.get('wrong/refunds')).toBe(served / 5);
    expect(onV3.get('right/refunds')).toBe(onV2.get('right/refunds'));
    expect(service.state().answers).toEqual({ right: sum(onV3, 'right'), wrong: sum(onV3, 'wrong') });

    await post(service, '/rollback');
    await until('v2 again', async () => sum(await answerCounts(service)) >= sum(onV3) + 100);
    expect(sum(await answerCounts(service), 'wrong')).toBe(sum(onV3, 'wrong'));
  });

  it('carries a fraction of a request over to the next tick', async () => {
    // 5 a second is half a request a tick: one every other tick, about 5 in a second.
    const service = await start({ requestsPerSecond: 5 });
    await new Promise((r) => setTimeout(r, 1050));
    const served = sum(await answerCounts(service));
    expect(served).toBeGreaterThanOrEqual(3);
    expect(served).toBeLessThanOrEqual(6);
  });

  it('answers /ask with the live release and counts it', async () => {
    const service = await start();
    expect(await post(service, '/ask', { question: REFUND })).toEqual({
      status: 200,
      body: { answer: REFUND_ANSWER, release: 'v2', correct: true },
    });
    await post(service, '/deploy', { release: 'v3' });
    expect(await post(service, '/ask', { question: REFUND })).toEqual({
      status: 200,
      body: { answer: `${REFUND_ANSWER} (outdated policy, v3)`, release: 'v3', correct: false },
    });
    const counts = await answerCounts(service);
    expect(counts.get('right/refunds')).toBe(1);
    expect(counts.get('wrong/refunds')).toBe(1);
    expect((await post(service, '/ask', { question: 'What is the meaning of life?' })).status).toBe(404);
    expect(await post(service, '/ask', {})).toMatchObject({ status: 400, body: { field: 'question' } });
  });

  it('rolls back to the last different release and records every change', async () => {
    const service = await start({ release: 'v3' });
    const none = await post(service, '/rollback');
    expect(none.status).toBe(409);
    expect(none.body.error).toMatch(/nothing to roll back to/);

    await post(service, '/deploy', { release: 'v3-fix', action: 'deploy', from: 'v3', incident: 'INC-1' });
    await post(service, '/deploy', { release: 'v3-fix' });
    // The engine's hook adds its facts to the body; without `to`, the last different release.
    expect(await post(service, '/rollback', { action: 'rollback', from: 'v3-fix' })).toEqual({
      status: 200,
      body: { live: 'v3', previous: 'v3-fix' },
    });
    const release = (await (await fetch(`${service.url}/release`)).json()) as {
      live: string;
      history: { release: string; at: string; via: string }[];
    };
    expect(release.live).toBe('v3');
    expect(release.history.map((c) => `${c.via}:${c.release}`)).toEqual([
      'initial:v3',
      'deploy:v3-fix',
      'deploy:v3-fix',
      'rollback:v3',
    ]);
    for (const change of release.history) expect(new Date(change.at).toISOString()).toBe(change.at);
    const info = await (await fetch(`${service.url}/metrics`)).text();
    expect(info).toContain('agent_release_info{release="v3"} 1');
    expect(info).not.toContain('agent_release_info{release="v3-fix"}');
  });

  it('rolls back to where the engine says when the hook names it, and refuses an unknown one', async () => {
    const service = await start({ release: 'v2' });
    await post(service, '/deploy', { release: 'v3' });
    await post(service, '/deploy', { release: 'v3-fix' });
    expect(await post(service, '/rollback', { action: 'rollback', from: 'v3-fix', to: 'v2' })).toEqual({
      status: 200,
      body: { live: 'v2', previous: 'v3-fix' },
    });
    expect(await post(service, '/rollback', { to: 'v9' })).toMatchObject({
      status: 400,
      body: { field: 'to' },
    });
  });

  it('answers a repeated Idempotency-Key with its first answer and changes nothing', async () => {
    const service = await start();
    const key = { 'idempotency-key': 'INC-5/mitigate/0' };
    const first = await post(service, '/deploy', { release: 'v3' }, key);
    expect(first).toEqual({ status: 200, body: { live: 'v3', previous: 'v2' } });
    // The same key again, even with another release: the first answer, and v3 stays live.
    expect(await post(service, '/deploy', { release: 'v3-fix' }, key)).toEqual(first);
    expect(service.state().live).toBe('v3');
    expect(service.state().history).toHaveLength(2);

    const rollback = await post(service, '/rollback', undefined, key);
    expect(rollback).toEqual({ status: 200, body: { live: 'v2', previous: 'v3' } });
    expect(await post(service, '/rollback', undefined, key)).toEqual(rollback);
    expect(service.state().live).toBe('v2');

    // A refusal is remembered too: the retry of a bad call is refused the same way.
    const bad = await post(service, '/deploy', { release: 'v9' }, { 'idempotency-key': 'bad' });
    expect(bad.status).toBe(400);
    expect(await post(service, '/deploy', { release: 'v3' }, { 'idempotency-key': 'bad' })).toEqual(bad);
    expect(service.state().live).toBe('v2');
  });

  it('refuses bad requests with 400s that name the field', async () => {
    const service = await start();
    expect(await post(service, '/deploy', { release: 'v9' })).toMatchObject({
      status: 400,
      body: { field: 'release', error: expect.stringContaining('unknown release "v9"') },
    });
    expect(await post(service, '/deploy', { release: 3 })).toMatchObject({
      status: 400,
      body: { field: 'release' },
    });
    expect(await post(service, '/eval', { release: 'v9', cases: [] })).toMatchObject({
      status: 400,
      body: { field: 'release' },
    });
    const malformed = { release: 'v3', cases: [{ id: 'a', topic: 'refunds', question: REFUND }] };
    expect(await post(service, '/eval', malformed)).toMatchObject({
      status: 400,
      body: { field: 'cases[0].expected' },
    });
    expect(await post(service, '/eval', { release: 'v3', cases: 'all' })).toMatchObject({
      status: 400,
      body: { field: 'cases' },
    });
    expect(await post(service, '/wrong-answers', { release: 'v3' })).toMatchObject({
      status: 400,
      body: { field: 'sli' },
    });
    const notJson = await fetch(`${service.url}/deploy`, {
      method: 'POST',
      body: '{"release":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    const text = await fetch(`${service.url}/deploy`, {
      method: 'POST',
      body: 'v3',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(service.state().history).toHaveLength(1);
  });

  it('evaluates a release on eval cases as the canary does', async () => {
    const service = await start();
    const cases = [
      { id: 'refunds-1', topic: 'refunds', question: REFUND, expected: REFUND_ANSWER },
      {
        id: 'reg-INC-5-refunds-1',
        topic: 'refunds',
        question: REFUND,
        expected: REFUND_ANSWER,
        origin: 'INC-5',
      },
      { id: 'unknown-1', topic: 'shipping', question: 'Do you ship to Mars?', expected: 'No.' },
    ];
    expect(await post(service, '/eval', { release: 'v3', cases })).toEqual({
      status: 200,
      body: {
        release: 'v3',
        results: [
          { id: 'refunds-1', correct: false },
          { id: 'reg-INC-5-refunds-1', correct: false },
          { id: 'unknown-1', correct: true },
        ],
      },
    });
    const fixed = await post(service, '/eval', { release: 'v3-fix', cases });
    expect((fixed.body.results as { correct: boolean }[]).every((r) => r.correct)).toBe(true);
  });

  it('finds the broken fix still wrong in the broken-fix scenario', async () => {
    const service = await start({ scenario: resolve('scenarios/broken-fix.yaml') });
    const wrong = await post(service, '/wrong-answers', { release: 'v3-fix', sli: 'quality' });
    expect(wrong.status).toBe(200);
    expect((wrong.body.cases as { id: string }[]).map((c) => c.id)).toContain('refunds-1');
    const result = await post(service, '/eval', { release: 'v3-fix', cases: wrong.body.cases });
    expect((result.body.results as { correct: boolean }[]).some((r) => r.correct)).toBe(false);
  });

  it('lists the wrong answers of a release as eval cases, for the quality SLI only', async () => {
    const service = await start();
    expect(
      await post(service, '/wrong-answers', { release: 'v3', sli: 'quality', incident: 'INC-5' }),
    ).toEqual({
      status: 200,
      body: {
        release: 'v3',
        cases: [{ id: 'refunds-1', topic: 'refunds', question: REFUND, expected: REFUND_ANSWER }],
      },
    });
    expect((await post(service, '/wrong-answers', { release: 'v2', sli: 'quality' })).body.cases).toEqual([]);
    expect((await post(service, '/wrong-answers', { release: 'v3', sli: 'freshness' })).body.cases).toEqual(
      [],
    );
  });

  it('refuses an unknown release, a bad rate and a bad scenario at start', async () => {
    await expect(startAgentService({ release: 'v9' })).rejects.toMatchObject({
      name: 'InputError',
      field: '--release',
    });
    await expect(startAgentService({ requestsPerSecond: -1 })).rejects.toMatchObject({
      field: '--requests-per-second',
    });
    await expect(startAgentService({ scenario: 'no/such/scenario.yaml' })).rejects.toMatchObject({
      name: 'InputError',
    });
  });
});

describe('agent service CLI', () => {
  const SERVER = resolve('dist/examples/agent-service/server.js');

  function assertBuilt(): void {
    const source = statSync(resolve('examples/agent-service/server.ts')).mtimeMs;
    if (!existsSync(SERVER) || statSync(SERVER).mtimeMs < source)
      throw new Error('dist/examples is missing or older than examples/: run `npm run build` first');
  }

  /** Runs the built server from another folder (the default scenario is found from the package). */
  function spawnServer(args: string[]) {
    const child = spawn(process.execPath, [SERVER, ...args], { cwd: resolve('test'), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 20_000);
    exited.finally(() => clearTimeout(watchdog));
    return { child, exited, out: () => stdout, err: () => stderr };
  }

  it('prints one JSON line when ready, serves, and exits 0 on SIGTERM', async () => {
    assertBuilt();
    const run = spawnServer(['--port', '0', '--release', 'v3']);
    await until('the ready line', async () => run.out().includes('\n'));
    const ready = JSON.parse(run.out().trim()) as { url: string; release: string };
    expect(Object.keys(ready)).toEqual(['url', 'release']);
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.release).toBe('v3');
    const release = (await (await fetch(`${ready.url}/release`)).json()) as { live: string };
    expect(release.live).toBe('v3');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.err()).toBe('');
    expect(run.out().trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['--release', 'v9'], /^agent-service: --release: unknown release "v9"/],
    [['--port', 'eighty'], /^agent-service: option '--port <number>' argument 'eighty' is invalid/],
    [['--requests-per-second', '-3'], /must be a number from 0/],
    [['--scenario', 'no-such.yaml'], /^agent-service: no-such\.yaml/],
    [['--colour'], /^agent-service: unknown option '--colour'/],
  ])('%j: one line on stderr, exit 2', async (args, message) => {
    assertBuilt();
    const run = spawnServer(args);
    expect(await run.exited).toBe(2);
    const lines = run.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(run.err()).not.toMatch(/\n\s+at /);
    expect(run.out()).toBe('');
  });
});
