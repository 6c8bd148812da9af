import { describe, expect, it } from 'vitest';
import {
  blamelessFindings,
  type EvalCase,
  type Postmortem,
  regressionCases,
  renderPostmortem,
} from '../src/toolkit/postmortem.js';

const roster = ['Alice', 'Bob Stone', "Dana O'Brien"];

const postmortem = (overrides: Partial<Postmortem> = {}): Postmortem => ({
  title: 'INC-1: v3 answered refund questions wrongly',
  status: 'final',
  summary: 'Release v3 regressed answer quality to 80% for 60 minutes.',
  impact: 'Refund questions were answered wrongly | 20% of answers.',
  rootCauses: ['The v3 prompt dropped the refund policy.', 'The eval set had no refund question.'],
  trigger: 'Release v3 was promoted to live.',
  detection: 'Alice was paged by the fast-burn alert after 44 minutes.',
  resolution: 'Rolled back to v2.',
  actionItems: [
    { type: 'mitigate', text: 'Automate rollback on fast burn', owner: 'sre' },
    { type: 'prevent', text: 'Add refund questions | to the eval set', owner: 'agent-team' },
    { type: 'process', text: 'Canary every release', owner: 'release-eng' },
  ],
  lessons: {
    wentWell: ['Rollback took one minute.'],
    wentWrong: ['Detection took 44 minutes.'],
    gotLucky: [],
  },
  timeline: [
    { t: 44, text: 'Paged Alice.' },
    { t: 0, text: 'v3 promoted.' },
    { t: 50, text: 'Rolled back to v2.' },
  ],
  ...overrides,
});

describe('blamelessFindings', () => {
  it('finds nothing in a blameless postmortem, even though the detection names who was paged', () => {
    expect(blamelessFindings(postmortem(), roster)).toEqual([]);
  });

  it('flags a roster name in a root cause, naming the field, the person and the text', () => {
    const text = 'alice skipped the canary.';
    const pm = postmortem({ rootCauses: ['The v3 prompt dropped the refund policy.', text] });
    expect(blamelessFindings(pm, roster)).toEqual([{ field: 'rootCauses[1]', person: 'Alice', text }]);
  });

  it('flags a roster name in the trigger, including multi-word names and names with punctuation', () => {
    const text = "Bob Stone and dana o'brien pushed v3 on a Friday.";
    expect(blamelessFindings(postmortem({ trigger: text }), roster)).toEqual([
      { field: 'trigger', person: 'Bob Stone', text },
      { field: 'trigger', person: "Dana O'Brien", text },
    ]);
  });

  it('does not flag names outside the causal fields, such as the timeline or resolution', () => {
    const pm = postmortem({
      resolution: 'Bob Stone rolled back to v2.',
      timeline: [{ t: 44, text: "Dana O'Brien acknowledged the page." }],
    });
    expect(blamelessFindings(pm, roster)).toEqual([]);
  });

  it('matches whole words only, so "Alicent" and "Bob" alone are not roster names', () => {
    const pm = postmortem({ trigger: 'Alicent deployed; Bob watched.' });
    expect(blamelessFindings(pm, roster)).toEqual([]);
  });

  it('reports a person once per field even when the roster repeats them', () => {
    const pm = postmortem({ trigger: 'Alice, then Alice again.' });
    expect(blamelessFindings(pm, ['Alice', 'alice'])).toEqual([
      { field: 'trigger', person: 'Alice', text: 'Alice, then Alice again.' },
    ]);
  });
});

describe('renderPostmortem', () => {
  const markdown = renderPostmortem(postmortem());

  it('renders every section of the Google template, in order', () => {
    const headings = markdown.split('\n').filter((line) => line.startsWith('#'));
    expect(headings).toEqual([
      '# INC-1: v3 answered refund questions wrongly',
      '## Summary',
      '## Impact',
      '## Root causes',
      '## Trigger',
      '## Detection',
      '## Resolution',
      '## Action items',
      '## Lessons learned',
      '### What went well',
      '### What went wrong',
      '### Where we got lucky',
      '## Timeline',
    ]);
  });

  it('puts each section body under its own heading', () => {
    expect(markdown).toContain('**Status:** final');
    expect(markdown).toContain('## Trigger\n\nRelease v3 was promoted to live.\n');
    expect(markdown).toContain(
      '## Root causes\n\n- The v3 prompt dropped the refund policy.\n- The eval set had no refund question.\n',
    );
  });

  it('renders action items as a type / item / owner table, escaping pipes in cells', () => {
    expect(markdown).toContain(
      [
        '| Type | Item | Owner |',
        '| --- | --- | --- |',
        '| mitigate | Automate rollback on fast burn | sre |',
        '| prevent | Add refund questions \\| to the eval set | agent-team |',
        '| process | Canary every release | release-eng |',
      ].join('\n'),
    );
  });

  it('marks an empty lessons list as none rather than leaving the heading bare', () => {
    expect(markdown).toContain('### Where we got lucky\n\n_None._\n');
  });

  it('renders the timeline in time order with the default minute label', () => {
    expect(markdown).toContain(
      '## Timeline\n\n- **T+0min** v3 promoted.\n- **T+44min** Paged Alice.\n- **T+50min** Rolled back to v2.\n',
    );
  });

  it('labels timeline minutes with the given minuteLabel', () => {
    const labelled = renderPostmortem(postmortem(), {
      minuteLabel: (t) => `09:${String(t).padStart(2, '0')}`,
    });
    expect(labelled).toContain('- **09:00** v3 promoted.');
    expect(labelled).not.toContain('T+0min');
  });

  it('renders the same postmortem to the same bytes every time', () => {
    expect(renderPostmortem(postmortem())).toBe(markdown);
  });
});

describe('regressionCases', () => {
  const wrongCase = (id: string, topic = 'refunds'): EvalCase => ({
    id,
    topic,
    question: `question ${id}?`,
    expected: `answer ${id}`,
  });

  it('turns each wrong answer into a regression case that names the incident', () => {
    expect(regressionCases([wrongCase('refunds-1')], 'INC-1')).toEqual([
      {
        id: 'reg-INC-1-refunds-1',
        topic: 'refunds',
        question: 'question refunds-1?',
        expected: 'answer refunds-1',
        origin: 'postmortem of INC-1',
      },
    ]);
  });

  it('sorts the cases by id whatever order the wrong answers came in', () => {
    const cases = regressionCases(
      [wrongCase('refunds-2'), wrongCase('billing-1', 'billing'), wrongCase('refunds-1')],
      'INC-7',
    );
    expect(cases.map((c) => c.id)).toEqual([
      'reg-INC-7-billing-1',
      'reg-INC-7-refunds-1',
      'reg-INC-7-refunds-2',
    ]);
  });

  it('makes one case per distinct question even when it was answered wrongly several times', () => {
    const cases = regressionCases(
      [wrongCase('refunds-1'), wrongCase('refunds-2'), wrongCase('refunds-1')],
      'INC-1',
    );
    expect(cases.map((c) => c.id)).toEqual(['reg-INC-1-refunds-1', 'reg-INC-1-refunds-2']);
  });

  it('keeps the first occurrence when a question id repeats with different text', () => {
    const later = { ...wrongCase('refunds-1'), expected: 'a different answer' };
    const [regression] = regressionCases([wrongCase('refunds-1'), later], 'INC-1');
    expect(regression?.expected).toBe('answer refunds-1');
  });

  it('replaces an existing origin and leaves the input untouched', () => {
    const original = { ...wrongCase('refunds-1'), origin: 'seed set' };
    const [regression] = regressionCases([original], 'INC-1');
    expect(regression?.origin).toBe('postmortem of INC-1');
    expect(original).toEqual({ ...wrongCase('refunds-1'), origin: 'seed set' });
  });

  it('makes no cases when the incident got nothing wrong', () => {
    expect(regressionCases([], 'INC-1')).toEqual([]);
  });
});
