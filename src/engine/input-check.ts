import { parseTimestamp } from '../toolkit/alerts.js';
import type { Input } from './inputs.js';

/**
 * What the engine refuses to take in at all: an alert whose times are not timestamps the correlator
 * can place on its clock. Intake refuses such alerts before they are submitted (a 400 naming the
 * field); this is the engine's own guard, so that nothing it cannot apply is ever journaled, and a
 * journal written before intake checked (where such an alert was kept, then failed to apply) still
 * replays: the alert changed nothing then and changes nothing now.
 */
export function unplaceable(input: Input): string | null {
  if (input.kind !== 'alert') return null;
  for (const field of ['startsAt', 'endsAt'] as const) {
    const value = input.alert[field];
    if (typeof value !== 'string' || Number.isNaN(parseTimestamp(value)))
      return `alert ${field} ${JSON.stringify(value)} is not an RFC 3339 timestamp of years 0000..9999`;
  }
  return null;
}
