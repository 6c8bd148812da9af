import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { stockScenario } from '../src/toolkit/package-files.js';
import {
  chart,
  contains,
  exportMachine,
  MACHINE_NAMES,
  markSvg,
  marksOf,
  toDot,
  toJson,
  toMermaid,
  toSvg,
  transitionFor,
} from '../src/views/export.js';
import { runShift, type ShiftResult } from '../src/world/drill.js';
import { loadScenario } from '../src/world/scenario.js';

let dir = '';
let shift: ShiftResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-export-'));
  shift = await runShift(loadScenario(stockScenario()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the chart model read from the machine definitions', () => {
  it('nests the substates of mitigate under it, with running entered first', () => {
    const c = chart('incident');
    const mitigate = c.states.find((s) => s.id === 'mitigate');
    expect(mitigate?.type).toBe('compound');
    expect(mitigate?.initial).toBe('mitigate.running');
    expect(mitigate?.children).toEqual([
      'mitigate.running',
      'mitigate.settling',
      'mitigate.stepFailed',
      'mitigate.flow',
      'mitigate.nextStep',
    ]);
    expect(c.states.find((s) => s.id === 'mitigate.settling')?.parent).toBe('mitigate');
    expect(c.initial).toBe('watching');
  });

  it('keeps final states, invoked actors and named guards, and hides XState’s own after-actions', () => {
    const c = chart('incident');
    expect(c.states.filter((s) => s.type === 'final').map((s) => s.id)).toEqual(['resolved', 'escalated']);
    expect(c.states.find((s) => s.id === 'learn')?.invoke).toEqual(['writePostmortem']);
    expect(c.states.find((s) => s.id === 'mitigate.running')?.entry).toEqual(['startPlay']);
    const page = c.transitions.find((t) => t.source === 'detect' && t.targets[0] === 'page');
    expect(page).toMatchObject({ kind: 'always', guard: 'pagePairFiring', label: 'always [pagePairFiring]' });
    const soak = c.transitions.find((t) => t.source === 'verify' && t.targets[0] === 'resolved');
    expect(soak).toMatchObject({ kind: 'after', label: 'after verifySoak', actions: ['recordResolved'] });
  });

  it('reads the release machine: a canary decided by the canaryPasses guard', () => {
    const c = chart('release');
    expect(c.states.map((s) => s.id)).toEqual(['live', 'canary', 'promoted', 'rejected']);
    expect(c.transitions.find((t) => t.source === 'canary' && t.targets[0] === 'promoted')?.guard).toBe(
      'canaryPasses',
    );
    expect(c.transitions.find((t) => t.event === 'ROLLBACK')).toMatchObject({
      targets: ['live'],
      reenter: true,
    });
  });
});

describe('serialisations', () => {
  it('mermaid: a composite state for mitigate, transitions into it and out of its children', () => {
    const text = toMermaid(chart('incident'));
    expect(text.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(text).toContain('  state "mitigate" as mitigate {\n    [*] --> mitigate_running\n');
    expect(text).toContain('    mitigate_running --> mitigate_settling : done play [playSucceeded]\n');
    expect(text).toContain('  page --> mitigate : ACK\n');
    expect(text).toContain('  mitigate_settling --> learn : SLI_SAMPLE [sliAtObjective]\n');
    expect(text).toContain('  resolved --> [*]\n');
  });

  it('dot: mitigate is a cluster and edges into it stop at its border, labelled beside the edge drawn', () => {
    const text = toDot(chart('incident'));
    expect(text).toContain('subgraph "cluster_mitigate" {');
    expect(text).toMatch(
      /"page" -> "mitigate\.running" \[id="e:\d+", [^\]]*xlabel=<<table[^>]*><tr><td>ACK<\/td><\/tr><\/table>>, lhead="cluster_mitigate"\]/,
    );
    // Parallel edges keep a margin around their labels, so "done fix" and "error fix" read apart.
    expect(text).toMatch(
      /"ship" -> "verify" \[id="e:\d+", class="transition", label=<<table [^>]*cellpadding="3"/,
    );
    expect(text).toContain('"resolved" [id="s:resolved", class="state", label="resolved", peripheries=2]');
  });

  it('json: nested states, each with its transitions', () => {
    const json = JSON.parse(toJson(chart('incident'))) as {
      machine: string;
      states: { id: string; states: { id: string }[]; on: { event: string; targets: string[] }[] }[];
    };
    expect(json.machine).toBe('incident');
    const mitigate = json.states.find((s) => s.id === 'mitigate');
    expect(mitigate?.states.map((s) => s.id)).toContain('mitigate.settling');
    expect(json.states.find((s) => s.id === 'page')?.on).toContainEqual(
      expect.objectContaining({ event: 'ACK', targets: ['mitigate'] }),
    );
  });

  it('svg: laid out offline, one marked group per state and per transition, nothing external', async () => {
    for (const name of MACHINE_NAMES) {
      const c = chart(name);
      const svg = await toSvg(c);
      expect(svg.startsWith(`<svg data-machine="${name}" class="statechart"`)).toBe(true);
      for (const s of c.states) expect(svg).toContain(`data-state="${s.id}"`);
      for (const t of c.transitions.filter((x) => x.targets.length > 0)) {
        expect(svg).toContain(`data-edge="${t.index}"`);
      }
      expect(svg).not.toMatch(/ id="/);
      expect(svg.match(/https?:\/\/[^"]+/g)?.every((u) => u.startsWith('http://www.w3.org/'))).toBe(true);
      expect(await toSvg(c)).toBe(svg);
    }
  });
});

describe('the trace on the chart', () => {
  it('finds, for every transition of the stock shift, a chart transition between the same states', () => {
    for (const entry of shift.trace.filter((e) => e.from !== null)) {
      const c = chart(entry.actor === 'release' ? 'release' : 'incident');
      const index = transitionFor(c, entry);
      expect(index, `${entry.actor} ${entry.from} -> ${entry.to}`).not.toBeNull();
      const t = c.transitions[index as number];
      expect(contains(t?.source ?? '?', entry.from ?? '')).toBe(true);
      expect(t?.targets.some((target) => contains(target, entry.to))).toBe(true);
    }
  });

  it('prefers the entry’s own event and falls back to the eventless step it triggered', () => {
    const c = chart('incident');
    const ack = transitionFor(c, { from: 'page', event: 'ACK', to: 'mitigate.running' });
    expect(c.transitions[ack as number]).toMatchObject({ source: 'page', event: 'ACK' });
    const back = transitionFor(c, { from: 'detect', event: 'ALERTS', to: 'watching' });
    expect(c.transitions[back as number]).toMatchObject({ source: 'detect', kind: 'always' });
    expect(transitionFor(c, { from: null, event: 'xstate.init', to: 'watching' })).toBeNull();
  });

  it('marks what INC-5 did: its path visited, its final state current', async () => {
    const c = chart('incident');
    const marks = marksOf(
      c,
      shift.trace.filter((e) => e.actor === shift.primary),
    );
    expect(marks.current).toBe('resolved');
    for (const s of ['watching', 'detect', 'page', 'mitigate', 'mitigate.running', 'learn', 'verify']) {
      expect(marks.visited.has(s)).toBe(true);
    }
    expect(marks.visited.has('ticket')).toBe(false);
    const svg = markSvg(await toSvg(c), marks);
    expect(svg).toMatch(/data-state="resolved" class="node state visited current"/);
    expect(svg).toMatch(/data-state="ticket" class="node state"/);
    expect(svg.match(/ taken"/g)?.length).toBe(marks.taken.size);
  });
});

describe('runbook export', () => {
  it('prints each machine in each format', async () => {
    for (const machine of MACHINE_NAMES) {
      for (const format of ['mermaid', 'dot', 'json', 'svg'] as const) {
        const io = bufferIo();
        expect(await main(['export', '--machine', machine, '--format', format], io)).toBe(0);
        expect(io.stdout).toBe(await exportMachine(machine, format));
      }
    }
  });

  it('writes --out atomically and leaves no temporary file', async () => {
    const out = join(dir, 'incident.svg');
    const io = bufferIo();
    expect(await main(['export', '--machine', 'incident', '--format', 'svg', '--out', out], io)).toBe(0);
    expect(io.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(await exportMachine('incident', 'svg'));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('rejects an unknown machine or format with exit 2, naming the flag, and writes nothing', async () => {
    const out = join(dir, 'never.txt');
    const bad = bufferIo();
    expect(await main(['export', '--machine', 'billing', '--out', out], bad)).toBe(2);
    expect(bad.stderr).toBe('runbook: --machine: must be one of incident, release (got "billing")\n');
    const format = bufferIo();
    expect(await main(['export', '--machine', 'release', '--format', 'png'], format)).toBe(2);
    expect(format.stderr).toContain('--format: must be one of mermaid, dot, svg, json');
    expect(existsSync(out)).toBe(false);
  });
});
