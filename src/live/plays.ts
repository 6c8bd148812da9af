import { execFile } from 'node:child_process';
import { z } from 'zod';
import type { PlayLogic } from '../../machines/incident.js';
import { definePlay, type PlayInput, type PlayOutput } from '../engine/plays.js';
import { redactUrl, redactUrls } from './secrets.js';

/**
 * The plays that touch the real world: `http` calls an endpoint, `exec` runs a command, and the live
 * `rollback` calls the deploy hook the configuration names before it moves the engine's release
 * record. Each passes the play's idempotency key along (`Idempotency-Key` header,
 * `RUNBOOK_IDEMPOTENCY_KEY` variable): after a crash a play runs again under the same key, and the
 * endpoint or the script is what makes the second call change nothing.
 */

const seconds = (fallback: number) =>
  z.number().positive('must be > 0').max(3600, 'must be <= 3600').default(fallback);

/** `with:` of an `http` step. */
export const httpSettings = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  headers: z.record(z.string(), z.string()).default({}),
  /** Sent as JSON, or as text when it is a string. */
  body: z.unknown().optional(),
  timeoutSeconds: seconds(10),
});

/** `with:` of an `exec` step: no shell, the server's environment withheld but for the names listed. */
export const execSettings = z.strictObject({
  command: z.string().min(1, 'must name a program'),
  args: z.array(z.string()).default([]),
  env: z.array(z.string().min(1)).default([]),
  cwd: z.string().optional(),
  timeoutSeconds: seconds(60),
});

export type HttpSettings = z.infer<typeof httpSettings>;
export type ExecSettings = z.infer<typeof execSettings>;

/** A deploy hook: one `http` or `exec` call, its settings as a step's `with:`. */
export const hook = z.discriminatedUnion('play', [
  z.strictObject({ play: z.literal('http'), with: httpSettings }),
  z.strictObject({ play: z.literal('exec'), with: execSettings }),
]);
export type Hook = z.infer<typeof hook>;

/** What the endpoint or the command is told about the play calling it. */
export interface Call {
  key: string;
  /** The incident the call acts for, when there is one (a promotion through the API has none). */
  incident?: string;
  /** Added to the JSON body's fields (when the body is an object or absent), or as `RUNBOOK_NAME` variables. */
  facts?: Record<string, string>;
}

/** At most this much of an answer goes into the play's one-line detail. */
const DETAIL_CHARS = 200;

function firstLine(text: string): string {
  const line = text.trim().split('\n').pop() ?? '';
  return line.length > DETAIL_CHARS ? `${line.slice(0, DETAIL_CHARS)}…` : line;
}

function bodyOf(settings: HttpSettings, call: Call): { text?: string; type?: string } {
  const { body } = settings;
  if (typeof body === 'string') return { text: body, type: 'text/plain; charset=utf-8' };
  const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
  if (body === undefined && !call.facts) return {};
  const merged = isObject || body === undefined ? { ...(body as object), ...call.facts } : body;
  return { text: JSON.stringify(merged), type: 'application/json' };
}

export async function callHttp(settings: HttpSettings, call: Call): Promise<PlayOutput> {
  const { text, type } = bodyOf(settings, call);
  const what = `${settings.method} ${redactUrl(settings.url)}`;
  try {
    const response = await fetch(settings.url, {
      method: settings.method,
      headers: {
        ...(type ? { 'content-type': type } : {}),
        ...settings.headers,
        'idempotency-key': call.key,
        ...(call.incident ? { 'x-runbook-incident': call.incident } : {}),
      },
      body: settings.method === 'GET' ? undefined : text,
      signal: AbortSignal.timeout(settings.timeoutSeconds * 1000),
      redirect: 'manual',
    });
    const answer = redactUrls(firstLine(await response.text()));
    const detail = `${what} -> ${response.status}${answer ? `: ${answer}` : ''}`;
    return { ok: response.status >= 200 && response.status < 300, detail };
  } catch (error) {
    const why =
      (error as Error).name === 'TimeoutError' ? `no answer in ${settings.timeoutSeconds}s` : causeOf(error);
    return { ok: false, detail: `${what} failed: ${why}` };
  }
}

/** fetch wraps the reason (ECONNREFUSED, a DNS failure) in a generic "fetch failed". */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

export function runCommand(settings: ExecSettings, call: Call): Promise<PlayOutput> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const name of settings.env) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(call.facts ?? {})) env[`RUNBOOK_${name.toUpperCase()}`] = value;
  Object.assign(env, { RUNBOOK_IDEMPOTENCY_KEY: call.key, RUNBOOK_INCIDENT: call.incident ?? '' });
  const what = [settings.command, ...settings.args].join(' ');
  return new Promise((resolve) => {
    const done = (error: Error | null, stdout: string, stderr: string) => {
      if (!error) return resolve({ ok: true, detail: `${what}: exit 0${tail(stdout)}` });
      const failure = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
      const why = failure.killed
        ? `no exit in ${settings.timeoutSeconds}s (killed)`
        : typeof failure.code === 'number'
          ? `exit ${failure.code}`
          : `cannot run (${failure.code ?? failure.message})`;
      resolve({ ok: false, detail: `${what}: ${why}${tail(stderr || stdout)}` });
    };
    // spawn throws, rather than calls back, for what execve cannot take (a NUL byte:
    // ERR_INVALID_ARG_VALUE; an argument or variable too long: E2BIG): a call that failed, not a crash.
    try {
      execFile(
        settings.command,
        settings.args,
        { env, cwd: settings.cwd, timeout: settings.timeoutSeconds * 1000, maxBuffer: 1024 * 1024 },
        done,
      );
    } catch (error) {
      done(error as Error, '', '');
    }
  });
}

const tail = (output: string) => {
  const line = firstLine(output);
  return line ? `: ${line}` : '';
};

const callOf = (input: PlayInput, facts?: Record<string, string>): Call => ({
  key: input.key,
  incident: input.incident.id,
  facts,
});

/** Calls a deploy hook, whichever kind it is. */
export function callHook(deployHook: Hook, call: Call): Promise<PlayOutput> {
  return deployHook.play === 'http' ? callHttp(deployHook.with, call) : runCommand(deployHook.with, call);
}

/** Rolls back through the deploy hook, then records the rollback in the engine's release history. */
function liveRollback(deployHook: Hook | undefined): PlayLogic {
  return definePlay(async (input) => {
    if (!deployHook) {
      return { ok: false, detail: 'no deploy hook for rollback is configured (deploy.rollback)' };
    }
    const { live, lastGood } = input.ops.release();
    const facts = { action: 'rollback', from: live, ...(lastGood ? { to: lastGood } : {}) };
    const called = await callHook(deployHook, callOf(input, facts));
    if (!called.ok) return { ok: false, detail: `deploy hook: ${called.detail}` };
    const moved = input.ops.rollback();
    const record = moved ? `${moved.from} -> ${moved.to}` : `from ${live} (no earlier release on record)`;
    return { ok: true, detail: `rolled back ${record} via the deploy hook (${called.detail})` };
  }) as PlayLogic;
}

/** The plays a live engine runs, the stock ones included; the step's `with:` was checked at load. */
export function livePlays(deploy: { rollback?: Hook }): Record<string, PlayLogic> {
  return {
    http: definePlay((input) => callHttp(httpSettings.parse(input.step.with), callOf(input))) as PlayLogic,
    exec: definePlay((input) => runCommand(execSettings.parse(input.step.with), callOf(input))) as PlayLogic,
    rollback: liveRollback(deploy.rollback),
  };
}

/** The settings schema of each live play that takes some: checked when the configuration loads. */
export const playSettings: Record<string, z.ZodType> = { http: httpSettings, exec: execSettings };
