import { describe, expect, it } from 'vitest';
import { type IncidentSpan, link, type Ticket, type TriagePolicy, triage } from '../src/toolkit/triage.js';

// Every word of the default severity definitions, each on its own: dropping or misspelling one word of
// the policy changes how a ticket is triaged, and mutation testing showed no test would notice.

const ticket = (title: string, overrides: Partial<Ticket> = {}): Ticket => ({
  id: 'T-1',
  at: 0,
  service: 'agent',
  title,
  ...overrides,
});

const SEV1 = ['outage', 'down', 'unavailable', 'data loss', 'security', 'breach', 'leak', 'leaked'];
const SEV2 = ['wrong', 'incorrect', 'broken', 'failing', 'fails', 'failed', 'error', 'errors'];
const SEV3 = ['slow', 'slowness', 'latency', 'timeout', 'confusing', 'unclear', 'question'];

describe('the default severity definitions, word by word', () => {
  it.each(SEV1)('"%s" is an outage, data loss or a security issue: sev1', (word) => {
    expect(triage(ticket(`the agent: ${word}`))).toEqual({
      severity: 'sev1',
      because: 'reports an outage, data loss or a security issue',
    });
  });

  it.each(SEV2)('"%s" reports wrong results or failures: sev2', (word) => {
    expect(triage(ticket(`answers ${word} today`))).toEqual({
      severity: 'sev2',
      because: 'reports wrong results or failures',
    });
  });

  it.each(SEV3)('"%s" reports degraded or confusing behaviour: sev3', (word) => {
    expect(triage(ticket(`answers ${word} today`))).toEqual({
      severity: 'sev3',
      because: 'reports degraded or confusing behaviour',
    });
  });

  it('says why a ticket with many customers is sev1', () => {
    expect(triage(ticket('hello', { customers: 5000 }))).toEqual({
      severity: 'sev1',
      because: 'affects 1000 or more customers',
    });
  });

  it('reads the body as well as the title', () => {
    expect(triage(ticket('hello', { body: 'it is down' })).severity).toBe('sev1');
    // The title's last word and the body's first stay two words.
    expect(triage(ticket('do', { body: 'wn' })).severity).toBe('sev4');
  });
});

describe('conditions of a custom rule', () => {
  it('needs every word of allWords, not just one', () => {
    const policy: TriagePolicy = {
      rules: [{ severity: 'sev1', because: 'both', allWords: ['refund', 'wrong'] }],
      fallback: 'sev4',
    };
    expect(triage(ticket('refund wrong'), policy).severity).toBe('sev1');
    expect(triage(ticket('refund ok'), policy).severity).toBe('sev4');
  });

  it('counts a ticket without a customer count as no customers', () => {
    const policy: TriagePolicy = {
      rules: [{ severity: 'sev1', because: 'any customer', minCustomers: 0 }],
      fallback: 'sev4',
    };
    expect(triage(ticket('hello'), policy).severity).toBe('sev1');
    expect(
      triage(ticket('hello'), { ...policy, rules: [{ severity: 'sev1', because: 'one', minCustomers: 1 }] })
        .severity,
    ).toBe('sev4');
  });
});

describe('a ticket without a body', () => {
  it('is read by its title alone', () => {
    const policy: TriagePolicy = {
      rules: [{ severity: 'sev2', because: 'asks where', anyWords: ['here', 'was', 'stryker'] }],
      fallback: 'sev4',
    };
    expect(triage(ticket('refund page'), policy)).toEqual({
      severity: 'sev4',
      because: 'no rule matched; fallback sev4',
    });
    expect(triage(ticket('refund page', { body: '' }), policy).severity).toBe('sev4');
    expect(triage(ticket('refund page was here'), policy).severity).toBe('sev2');
  });
});

describe('link, service by service', () => {
  const span = (overrides: Partial<IncidentSpan>): IncidentSpan => ({
    id: 'INC-1',
    service: 'agent',
    startsAt: 0,
    endsAt: 100,
    open: true,
    ...overrides,
  });

  it('never links a ticket to an incident of another service, even the only one covering it', () => {
    expect(link(ticket('hello', { at: 50 }), [span({ service: 'search' })])).toBeUndefined();
    // Nor to another service's incident that started later than this service's one.
    expect(
      link(ticket('hello', { at: 50 }), [
        span({ id: 'INC-agent' }),
        span({ id: 'INC-search', service: 'search', startsAt: 40 }),
      ]),
    ).toBe('INC-agent');
  });
});
