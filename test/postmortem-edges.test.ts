import { describe, expect, it } from 'vitest';
import { type Postmortem, renderPostmortem } from '../src/toolkit/postmortem.js';

// The rendered document byte for byte, and the cells and empty sections the main tests leave out.

const small: Postmortem = {
  title: 'INC-2: stale index',
  status: 'draft',
  summary: 'Answers came from a stale index.',
  impact: 'Freshness fell to 0%.',
  rootCauses: [],
  trigger: 'The indexer stalled.',
  detection: 'Paged after 30 minutes.',
  resolution: 'Reindexed.',
  actionItems: [],
  lessons: { wentWell: ['Reindex took one minute.'], wentWrong: ['No alert on index age.'], gotLucky: [] },
  timeline: [{ t: 5, text: 'Indexer stalled.' }],
};

describe('renderPostmortem, the whole document', () => {
  it('renders a small postmortem exactly, empty sections marked as none', () => {
    expect(renderPostmortem(small)).toBe(
      [
        '# INC-2: stale index',
        '',
        '**Status:** draft',
        '',
        '## Summary',
        '',
        'Answers came from a stale index.',
        '',
        '## Impact',
        '',
        'Freshness fell to 0%.',
        '',
        '## Root causes',
        '',
        '_None._',
        '',
        '## Trigger',
        '',
        'The indexer stalled.',
        '',
        '## Detection',
        '',
        'Paged after 30 minutes.',
        '',
        '## Resolution',
        '',
        'Reindexed.',
        '',
        '## Action items',
        '',
        '_None._',
        '',
        '## Lessons learned',
        '',
        '### What went well',
        '',
        '- Reindex took one minute.',
        '',
        '### What went wrong',
        '',
        '- No alert on index age.',
        '',
        '### Where we got lucky',
        '',
        '_None._',
        '',
        '## Timeline',
        '',
        '- **T+5min** Indexer stalled.',
        '',
      ].join('\n'),
    );
  });

  it('renders an empty timeline as none', () => {
    expect(renderPostmortem({ ...small, timeline: [] })).toMatch(/## Timeline\n\n_None\._\n$/);
  });
});

describe('action item cells', () => {
  it('keep a multi-line text or owner on one row, and escape every pipe', () => {
    const pm: Postmortem = {
      ...small,
      actionItems: [{ type: 'prevent', text: 'Alert on\n   index age |\tand | lag', owner: 'search\n team' }],
    };
    expect(renderPostmortem(pm)).toContain(
      '| Type | Item | Owner |\n| --- | --- | --- |\n| prevent | Alert on index age \\|\tand \\| lag | search team |\n',
    );
  });
});
