import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { InputError } from '../src/toolkit/errors.js';

/**
 * A process parses its first scenario without zod's compiled fast path and later ones with it
 * (`parseScenario`, for the command line's start-up). Both paths must read a scenario the same way,
 * and refuse a bad one with the same message: each case below starts from a fresh copy of the module,
 * so its first parse really is the first.
 */

type ScenarioModule = typeof import('../src/world/scenario.js');

async function freshModule(): Promise<ScenarioModule> {
  vi.resetModules();
  return import('../src/world/scenario.js');
}

function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    return (error as InputError).format();
  }
  throw new Error('the scenario was accepted');
}

const FILE = resolve('scenarios/stock-shift.yaml');
const STOCK = readFileSync(FILE, 'utf8');
// Each breaks a different kind of schema: a number's range, an object's unknown key, an enum.
const BROKEN = [
  STOCK.replace(/objective: 0\.99\b/, 'objective: 1.5'),
  STOCK.replace(/^seed: /m, 'sede: 1\nseed: '),
  STOCK.replace(/severity: sev2/, 'severity: sev9'),
];

describe('parseScenario: the first parse of a process and the later ones', () => {
  it('read the stock scenario the same', async () => {
    const { parseScenario } = await freshModule();
    const first = parseScenario(STOCK, FILE);
    const second = parseScenario(STOCK, FILE);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it.each(BROKEN.map((text, i) => [i, text]))(
    'refuse broken scenario %i with the same message',
    async (_, text) => {
      expect(text).not.toBe(STOCK);
      const { parseScenario } = await freshModule();
      const first = refusal(() => parseScenario(text as string, FILE));
      const second = refusal(() => parseScenario(text as string, FILE));
      expect(first).toMatch(/^runbook: .*stock-shift\.yaml: /);
      expect(second).toBe(first);
    },
  );
});
