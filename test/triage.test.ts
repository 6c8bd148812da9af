import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ROUTING,
  DEFAULT_TRIAGE,
  type IncidentSpan,
  link,
  route,
  type Severity,
  type Ticket,
  type TriagePolicy,
  triage,
} from '../src/toolkit/triage.js';

const ticket = (overrides: Partial<Ticket>): Ticket => ({
  id: 'T-1',
  at: 50,
  service: 'agent',
  title: 'something happened',
  ...overrides,
});

const stockTicket = ticket({
  id: 'T-42',
  title: 'refund answers are wrong',
  body: 'the bot told me no refunds',
});

describe('triage with the default policy', () => {
  it('triages the stock ticket about wrong refund answers as sev2 and routes it to L2', () => {
    const result = triage(stockTicket);
    expect(result).toEqual({ severity: 'sev2', because: 'reports wrong results or failures' });
    expect(route(result.severity)).toBe('L2');
  });

  it('triages an outage as sev1 and routes it to L3', () => {
    const result = triage(ticket({ title: 'Agent is DOWN for everyone' }));
    expect(result.severity).toBe('sev1');
    expect(route(result.severity)).toBe('L3');
  });

  it('matches a phrase like "data loss" in the body, across punctuation and case', () => {
    expect(triage(ticket({ title: 'help', body: 'We saw Data-Loss after the upgrade' })).severity).toBe(
      'sev1',
    );
  });

  it('matches whole words only, so "download" is not "down" and "errorless" is not "error"', () => {
    expect(triage(ticket({ title: 'download errorless' })).severity).toBe('sev4');
  });

  it('triages a ticket reporting 1000 affected customers as sev1 even without alarming words', () => {
    expect(triage(ticket({ title: 'a question', customers: 1000 })).severity).toBe('sev1');
    expect(triage(ticket({ title: 'a question', customers: 999 })).severity).toBe('sev3');
  });

  it('triages slow or confusing behaviour as sev3 and routes it to L1', () => {
    const result = triage(ticket({ title: 'answers are slow' }));
    expect(result.severity).toBe('sev3');
    expect(route(result.severity)).toBe('L1');
  });

  it('falls back to sev4, saying no rule matched, and routes it to L1', () => {
    const result = triage(ticket({ title: 'please add dark mode' }));
    expect(result).toEqual({ severity: 'sev4', because: 'no rule matched; fallback sev4' });
    expect(route(result.severity)).toBe('L1');
  });

  it('lets the first matching rule win when several match', () => {
    // "down" (sev1) and "wrong" (sev2) and "slow" (sev3) all match; the sev1 rule is listed first.
    expect(triage(ticket({ title: 'slow, wrong, then down' })).severity).toBe('sev1');
  });
});

describe('triage with a custom policy given as data', () => {
  const policy: TriagePolicy = {
    rules: [
      { severity: 'sev3', because: 'billing wording', allWords: ['refund', 'wrong'], services: ['billing'] },
      { severity: 'sev1', because: 'anything wrong', anyWords: ['wrong'] },
    ],
    fallback: 'sev2',
  };

  it('applies the first rule whose every condition holds, in the order the policy lists them', () => {
    expect(triage(ticket({ service: 'billing', title: 'refund is wrong' }), policy)).toEqual({
      severity: 'sev3',
      because: 'billing wording',
    });
  });

  it('skips a rule when one of its conditions fails (service or allWords)', () => {
    expect(triage(ticket({ service: 'agent', title: 'refund is wrong' }), policy).severity).toBe('sev1');
    expect(triage(ticket({ service: 'billing', title: 'invoice is wrong' }), policy).severity).toBe('sev1');
  });

  it('uses the policy fallback when no rule matches', () => {
    expect(triage(ticket({ title: 'hello' }), policy).severity).toBe('sev2');
  });

  it('treats a rule without conditions as a catch-all', () => {
    const catchAll: TriagePolicy = { rules: [{ severity: 'sev3', because: 'everything' }], fallback: 'sev4' };
    expect(triage(ticket({ title: 'hello' }), catchAll).severity).toBe('sev3');
  });

  it('leaves the default policy untouched when a custom one is used', () => {
    triage(stockTicket, policy);
    expect(triage(stockTicket, DEFAULT_TRIAGE).severity).toBe('sev2');
  });
});

describe('route', () => {
  it('routes by the default table: sev1 L3, sev2 L2, sev3 and sev4 L1', () => {
    expect(DEFAULT_ROUTING).toEqual({ sev1: 'L3', sev2: 'L2', sev3: 'L1', sev4: 'L1' });
    const severities: Severity[] = ['sev1', 'sev2', 'sev3', 'sev4'];
    expect(severities.map((severity) => route(severity))).toEqual(['L3', 'L2', 'L1', 'L1']);
  });

  it('routes by a custom table', () => {
    expect(route('sev2', { sev1: 'oncall', sev2: 'quality-team', sev3: 'desk', sev4: 'desk' })).toBe(
      'quality-team',
    );
  });
});

describe('link', () => {
  const span = (overrides: Partial<IncidentSpan>): IncidentSpan => ({
    id: 'INC-1',
    service: 'agent',
    startsAt: 0,
    endsAt: 100,
    open: true,
    ...overrides,
  });

  it('links a ticket to the open incident of the same service whose span covers it', () => {
    const incidents = [
      span({ id: 'INC-other-service', service: 'search' }),
      span({ id: 'INC-1', startsAt: 10, endsAt: 90 }),
    ];
    expect(link(stockTicket, incidents)).toBe('INC-1');
  });

  it('counts both ends of the span as covered', () => {
    expect(link(ticket({ at: 10 }), [span({ startsAt: 10, endsAt: 20 })])).toBe('INC-1');
    expect(link(ticket({ at: 20 }), [span({ startsAt: 10, endsAt: 20 })])).toBe('INC-1');
  });

  it('links nothing when no span covers the ticket', () => {
    expect(link(ticket({ at: 5 }), [span({ startsAt: 10, endsAt: 20 })])).toBeUndefined();
    expect(link(ticket({ at: 21 }), [span({ startsAt: 10, endsAt: 20 })])).toBeUndefined();
    expect(link(ticket({}), [])).toBeUndefined();
  });

  it('ignores closed incidents even when they cover the ticket', () => {
    expect(link(ticket({}), [span({ id: 'INC-closed', open: false })])).toBeUndefined();
    expect(link(ticket({}), [span({ id: 'INC-closed', open: false, startsAt: 40 }), span({})])).toBe('INC-1');
  });

  it('picks the incident that started latest when several cover the ticket, whatever their order', () => {
    const incidents = [span({ id: 'INC-early', startsAt: 0 }), span({ id: 'INC-late', startsAt: 40 })];
    expect(link(ticket({ at: 50 }), incidents)).toBe('INC-late');
    expect(link(ticket({ at: 50 }), [...incidents].reverse())).toBe('INC-late');
  });

  it('breaks a tie on start time by the smaller id, whatever their order', () => {
    const incidents = [span({ id: 'INC-b', startsAt: 40 }), span({ id: 'INC-a', startsAt: 40 })];
    expect(link(ticket({}), incidents)).toBe('INC-a');
    expect(link(ticket({}), [...incidents].reverse())).toBe('INC-a');
  });
});
