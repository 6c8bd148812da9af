import type { GateCheck, GateReport } from './gate.js';

/**
 * The gate as JUnit XML, the test report every CI system reads (GitHub Actions' test reporters,
 * GitLab's `artifacts:reports:junit`, Jenkins): a test suite per scenario, a test case per check,
 * a failed check as a <failure> with the line the gate prints, a scenario that could not be run as a
 * suite with one <error>. No times: the same shift gives the same bytes.
 *
 * Written by hand: five elements and two escapes, where a dependency would bring a DOM.
 */

/** A scenario as the gate saw it: scored, or refused with the one line `runbook` printed. */
export type ScenarioOutcome =
  | { file: string; scenario: string; report: GateReport }
  | { file: string; scenario: string; error: string };

// XML 1.0 allows tab, newline, carriage return and the characters from space on, less lone
// surrogates and U+FFFE/U+FFFF. Anything else cannot be escaped at all, only left out.
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text or an attribute value, escaped; newlines in attributes kept as character references. */
export function escapeXml(text: string, attribute = false): string {
  const escaped = text.replace(NOT_XML, '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
  return attribute ? escaped.replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;') : escaped;
}

const attrs = (values: Record<string, string | number>) =>
  Object.entries(values)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value), true)}"`)
    .join('');

function testcase(suite: string, file: string, check: GateCheck, row: string): string {
  const head = `    <testcase${attrs({ name: check.id, classname: suite, file })}`;
  if (check.ok) return `${head}/>`;
  return `${head}>\n      <failure${attrs({ message: check.detail, type: 'gate' })}>${escapeXml(row)}</failure>\n    </testcase>`;
}

function testsuite(outcome: ScenarioOutcome, rows: (report: GateReport) => string[]): string {
  const { file, scenario } = outcome;
  if ('error' in outcome) {
    return [
      `  <testsuite${attrs({ name: scenario, file, tests: 1, failures: 0, errors: 1 })}>`,
      `    <testcase${attrs({ name: 'scenario', classname: scenario, file })}>`,
      `      <error${attrs({ message: outcome.error, type: 'bad input' })}>${escapeXml(outcome.error)}</error>`,
      '    </testcase>',
      '  </testsuite>',
    ].join('\n');
  }
  const { report } = outcome;
  const lines = rows(report);
  return [
    `  <testsuite${attrs({ name: scenario, file, tests: report.total, failures: report.total - report.passed, errors: 0 })}>`,
    ...report.checks.map((check, i) => testcase(scenario, file, check, lines[i] ?? check.detail)),
    '  </testsuite>',
  ].join('\n');
}

/**
 * The whole report. `rows` gives each check's line as the gate's table prints it, in order, so a
 * failure reads in CI as it reads in a terminal.
 */
export function junitXml(
  outcomes: readonly ScenarioOutcome[],
  rows: (report: GateReport) => string[],
): string {
  const scored = outcomes.flatMap((o) => ('report' in o ? [o.report] : []));
  const tests = scored.reduce((n, r) => n + r.total, 0) + (outcomes.length - scored.length);
  const failures = scored.reduce((n, r) => n + r.total - r.passed, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'runbook gate', tests, failures, errors: outcomes.length - scored.length })}>`,
    ...outcomes.map((o) => testsuite(o, rows)),
    '</testsuites>',
    '',
  ].join('\n');
}
