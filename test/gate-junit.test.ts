import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import type { GateReport } from '../src/views/gate.js';
import { escapeXml, junitXml } from '../src/views/junit.js';
import { gateRows } from '../src/views/narrate.js';

const parser = new XMLParser({
  htmlEntities: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['testsuite', 'testcase'].includes(name),
});

interface Case {
  name: string;
  classname: string;
  failure?: { '#text': string; message: string };
  error?: { '#text': string; message: string };
}
interface Suite {
  name: string;
  file: string;
  tests: string;
  failures: string;
  errors: string;
  testcase: Case[];
}

/** The XML, checked well formed, as its suites. */
function suitesOf(xml: string): Suite[] {
  expect(XMLValidator.validate(xml)).toBe(true);
  return (parser.parse(xml) as { testsuites: { testsuite: Suite[] } }).testsuites.testsuite;
}

const tempFile = (name: string) => join(mkdtempSync(join(tmpdir(), 'gate-junit-')), name);

describe('JUnit XML', () => {
  it('escapes markup and drops characters XML cannot hold', () => {
    expect(escapeXml(`a < b & "c" 'd' > e`)).toBe('a &lt; b &amp; &quot;c&quot; &apos;d&apos; &gt; e');
    expect(escapeXml('bell\u0007 nul\u0000 lone\uD800 ok 😀')).toBe('bell nul lone ok 😀');
    expect(escapeXml('two\nlines\ttab', true)).toBe('two&#10;lines&#9;tab');
  });

  it('writes a failure as the gate prints it, whatever its text holds', () => {
    const report: GateReport = {
      passed: 1,
      total: 2,
      checks: [
        { id: 'ok', owner: '', ok: true, detail: 'fine' },
        { id: 'odd', owner: 'sre', ok: false, detail: 'a <b> & "c"\u0001\nnext ]]> end' },
      ],
    };
    const xml = junitXml([{ file: 'x & y.yaml', scenario: 'x', report }], gateRows);
    const [suite] = suitesOf(xml);
    expect(suite).toMatchObject({ name: 'x', file: 'x & y.yaml', tests: '2', failures: '1', errors: '0' });
    expect(suite?.testcase.map((c) => c.name)).toEqual(['ok', 'odd']);
    expect(suite?.testcase[1]?.failure?.['#text']).toBe(gateRows(report)[1]?.replace('\u0001', ''));
    expect(suite?.testcase[1]?.failure?.message).toBe('a <b> & "c"\nnext ]]> end');
  });
});

describe('runbook gate with several scenarios and --junit', () => {
  it('gates each scenario, prints one summary, exits with the worst code and writes one suite each', async () => {
    const out = tempFile('gate.xml');
    const io = bufferIo();
    const code = await main(
      ['gate', 'scenarios/stock-shift.yaml', 'scenarios/broken-fix.yaml', '--junit', out],
      io,
    );
    expect(code).toBe(1);
    expect(io.stdout.trim().split('\n').at(-1)).toBe(
      'gate: 1/2 scenarios pass (scenarios/broken-fix.yaml: 6/7)',
    );
    const suites = suitesOf(readFileSync(out, 'utf8'));
    expect(suites.map((s) => [s.name, s.tests, s.failures])).toEqual([
      ['stock-shift', '7', '0'],
      ['broken-fix', '7', '1'],
    ]);
    const failed = suites[1]?.testcase.filter((c) => c.failure);
    expect(failed?.map((c) => c.name)).toEqual(['ship']);
    // The failure's text is the very line the gate printed for it.
    const printed = io.stdout.split('\n').find((line) => line.startsWith('FAIL  ship'));
    expect(failed?.[0]?.failure?.['#text']).toBe(printed);
  });

  it('runs the other scenarios when one is bad input, exits 2 and reports it as an error', async () => {
    const out = tempFile('gate.xml');
    const io = bufferIo();
    const code = await main(
      ['gate', '--scenario', 'scenarios/stock-shift.yaml', 'scenarios/none.yaml', '--junit', out],
      io,
    );
    expect(code).toBe(2);
    expect(io.stderr).toBe('runbook: scenarios/none.yaml: no such file\n');
    expect(io.stdout).toContain('scenarios/stock-shift.yaml\ngate: 7/7');
    const suites = suitesOf(readFileSync(out, 'utf8'));
    expect(suites[1]?.testcase[0]?.error?.message).toBe('runbook: scenarios/none.yaml: no such file');
  });

  it('writes the report of one scenario that is bad input, and says it as every command does', async () => {
    const out = tempFile('gate.xml');
    const io = bufferIo();
    expect(await main(['gate', 'scenarios/none.yaml', '--junit', out], io)).toBe(2);
    expect(io.stderr).toBe('runbook: scenarios/none.yaml: no such file\n');
    expect(io.stdout).toBe('');
    const [suite] = suitesOf(readFileSync(out, 'utf8'));
    expect(suite).toMatchObject({ name: 'none', tests: '1', errors: '1' });
  });

  it('gives one JSON document for several scenarios', async () => {
    const io = bufferIo();
    expect(
      await main(['gate', 'scenarios/stock-shift.yaml', 'scenarios/stale-index.yaml', '--json'], io),
    ).toBe(0);
    const parsed = JSON.parse(io.stdout) as {
      passed: number;
      total: number;
      scenarios: { report: GateReport }[];
    };
    expect(parsed.passed).toBe(2);
    expect(parsed.scenarios.map((s) => s.report.total)).toEqual([7, 8]);
  });

  it('prints one scenario named by argument as --scenario prints it', async () => {
    const [byFlag, byArgument] = [bufferIo(), bufferIo()];
    await main(['gate', '--scenario', 'scenarios/broken-fix.yaml', '--json'], byFlag);
    expect(await main(['gate', 'scenarios/broken-fix.yaml', '--json'], byArgument)).toBe(1);
    expect(byArgument.stdout).toBe(byFlag.stdout);
  });

  it('refuses a --junit file it cannot write before running anything, and leaves nothing behind', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'gate-junit-'));
    const io = bufferIo();
    expect(await main(['gate', '--junit', join(folder, 'missing', 'gate.xml')], io)).toBe(2);
    expect(io.stderr).toMatch(/--junit: no such directory/);
    expect(io.stdout).toBe('');
    expect(readdirSync(folder)).toEqual([]);
    expect(existsSync(join(folder, 'missing'))).toBe(false);
  });
});
