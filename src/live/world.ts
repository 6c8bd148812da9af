import { z } from 'zod';
import type { WorldPort } from '../engine/config.js';
import type { EvalCase } from '../toolkit/postmortem.js';
import type { EvalsConfig } from './config.js';
import { redactUrl, redactUrls } from './secrets.js';

/**
 * The world, live: the service's own eval endpoints answer what a drill's simulated service answers.
 *
 *   POST evals.url             {release, cases: [{id, topic, question, expected}]} -> {results: [{id, correct}]}
 *   POST evals.wrongAnswersUrl {release, sli}                                       -> {cases: [...]}
 *
 * The engine asks from a task (the canary of a deploy or a fix, a postmortem) and journals what came
 * back, so a restart replays the answers rather than asking again. An endpoint that fails, times out
 * or answers another shape fails the task with the reason: the incident's record shows it.
 */

const results = z.object({
  results: z.array(z.object({ id: z.string(), correct: z.boolean() })),
});
const wrongCases = z.object({
  cases: z.array(z.object({ id: z.string(), topic: z.string(), question: z.string(), expected: z.string() })),
});

async function ask<T>(url: string, body: unknown, schema: z.ZodType<T>, timeoutSeconds: number): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
  } catch (error) {
    // fetch says only "fetch failed": the reason (ECONNREFUSED, a refused port) is its cause.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer in ${timeoutSeconds}s`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new Error(`POST ${redactUrl(url)} failed: ${why}`);
  }
  const text = await response.text();
  if (!response.ok)
    throw new Error(`POST ${redactUrl(url)} -> ${response.status}: ${redactUrls(text.slice(0, 200))}`);
  const parsed = schema.safeParse(JSON.parse(text || 'null'));
  if (!parsed.success)
    throw new Error(`POST ${redactUrl(url)} answered another shape: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The live world: evals from the configured endpoints; play effects go through hooks, not here. */
export function liveWorld(evals: EvalsConfig | undefined): WorldPort {
  return {
    evaluate: async (release, cases) => {
      if (!evals) throw new Error('no eval endpoint is configured (evals.url): the canary has no evidence');
      const answer = await ask(evals.url, { release, cases }, results, evals.timeoutSeconds);
      const byId = new Map(answer.results.map((r) => [r.id, r.correct]));
      // A case the endpoint left out counts as wrong: silence is not evidence that a release is right.
      return cases.map((c) => ({ id: c.id, correct: byId.get(c.id) === true }));
    },
    wrongAnswers: async (release, sli): Promise<EvalCase[]> => {
      if (!evals?.wrongAnswersUrl) return [];
      const answer = await ask(evals.wrongAnswersUrl, { release, sli }, wrongCases, evals.timeoutSeconds);
      return answer.cases;
    },
    effect: (effect) => {
      throw new Error(`no ${effect.type} hook is configured for live plays`);
    },
  };
}
