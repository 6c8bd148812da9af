import { mentions, wordsOf } from './words.js';

/**
 * Postmortems in the shape of the Google SRE template, a blameless check over them, and the step that
 * turns what an incident got wrong into regression eval cases, so the same failure cannot ship twice.
 */

export interface ActionItem {
  /** mitigate: limit this incident's kind of damage; prevent: stop the cause; process: change how we work. */
  type: 'mitigate' | 'prevent' | 'process';
  text: string;
  /** A team, never a person: an action item outlives whoever is on call. */
  owner: string;
}

export interface TimelineEntry {
  /** Sim minute. */
  t: number;
  text: string;
}

export interface Postmortem {
  title: string;
  status: string;
  summary: string;
  impact: string;
  rootCauses: string[];
  trigger: string;
  detection: string;
  resolution: string;
  actionItems: ActionItem[];
  lessons: { wentWell: string[]; wentWrong: string[]; gotLucky: string[] };
  timeline: TimelineEntry[];
}

export interface BlamelessFinding {
  /** Where the name appears: `rootCauses[0]`, `trigger`. */
  field: string;
  person: string;
  text: string;
}

/** Whether `phrase` occurs in `text` as consecutive whole words, ignoring case. */
function mentionedIn(text: string, phrase: string): boolean {
  return mentions(wordsOf(text), phrase);
}

function sameName(a: string, b: string): boolean {
  return wordsOf(a).join(' ') === wordsOf(b).join(' ');
}

/**
 * Blameless means no person is named as a cause. Only the causal fields are checked: the timeline,
 * detection and resolution may well say who paged whom, which is fact, not blame.
 */
export function blamelessFindings(pm: Postmortem, roster: readonly string[]): BlamelessFinding[] {
  const causal = [
    ...pm.rootCauses.map((text, index) => ({ field: `rootCauses[${index}]`, text })),
    { field: 'trigger', text: pm.trigger },
  ];
  // Names compare the way they match, so `Alice` and `alice` on a roster are one person.
  const people = roster.filter(
    (person, index) => roster.findIndex((other) => sameName(other, person)) === index,
  );
  return causal.flatMap(({ field, text }) =>
    people.filter((person) => mentionedIn(text, person)).map((person) => ({ field, person, text })),
  );
}

/** A table cell must stay on one line and must not open a new column. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** An empty section still renders, so a reader can tell "nothing" from "forgotten". */
function bullets(items: readonly string[]): string[] {
  return items.length === 0 ? ['_None._'] : items.map((item) => `- ${item}`);
}

function actionTable(items: readonly ActionItem[]): string[] {
  if (items.length === 0) return ['_None._'];
  return [
    '| Type | Item | Owner |',
    '| --- | --- | --- |',
    ...items.map((item) => `| ${item.type} | ${cell(item.text)} | ${cell(item.owner)} |`),
  ];
}

/**
 * The sections of the Google template, in its order. Each entry renders the body under its heading;
 * the list is the single place that defines what a postmortem document contains.
 */
function sections(pm: Postmortem, minuteLabel: (t: number) => string): [string, string[]][] {
  // A timeline is read top to bottom as a story; entries recorded out of order still tell it in order.
  const timeline = [...pm.timeline].sort((a, b) => a.t - b.t);
  return [
    ['## Summary', [pm.summary]],
    ['## Impact', [pm.impact]],
    ['## Root causes', bullets(pm.rootCauses)],
    ['## Trigger', [pm.trigger]],
    ['## Detection', [pm.detection]],
    ['## Resolution', [pm.resolution]],
    ['## Action items', actionTable(pm.actionItems)],
    [
      '## Lessons learned',
      [
        '### What went well',
        '',
        ...bullets(pm.lessons.wentWell),
        '',
        '### What went wrong',
        '',
        ...bullets(pm.lessons.wentWrong),
        '',
        '### Where we got lucky',
        '',
        ...bullets(pm.lessons.gotLucky),
      ],
    ],
    ['## Timeline', bullets(timeline.map((entry) => `**${minuteLabel(entry.t)}** ${entry.text}`))],
  ];
}

const defaultMinuteLabel = (t: number): string => `T+${t}min`;

export function renderPostmortem(
  pm: Postmortem,
  options: { minuteLabel?: (t: number) => string } = {},
): string {
  const lines = [`# ${pm.title}`, '', `**Status:** ${pm.status}`];
  for (const [heading, body] of sections(pm, options.minuteLabel ?? defaultMinuteLabel)) {
    lines.push('', heading, '', ...body);
  }
  return `${lines.join('\n')}\n`;
}

export interface EvalCase {
  id: string;
  topic: string;
  question: string;
  expected: string;
  /** Where the case came from, when it was not part of the original set. */
  origin?: string;
}

/**
 * One regression case per distinct question (by id) the incident got wrong. The id names the incident
 * so the case can be traced back to its postmortem, and the order is by id so that the eval set (and
 * everything scored from it) is byte-identical however the wrong answers were collected.
 */
export function regressionCases(wrong: readonly EvalCase[], incidentId: string): EvalCase[] {
  const byId = new Map<string, EvalCase>();
  for (const original of wrong) {
    const id = `reg-${incidentId}-${original.id}`;
    if (byId.has(id)) continue;
    byId.set(id, {
      id,
      topic: original.topic,
      question: original.question,
      expected: original.expected,
      origin: `postmortem of ${incidentId}`,
    });
  }
  // Code-unit order, not localeCompare: the result must not depend on the machine's locale.
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
