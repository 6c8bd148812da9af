// A play of your own: a feature-flag kill switch. It turns a flag off (here `answer:refunds`, which
// hands refund questions to a human instead of answering them) and reports what it did. The
// incident machine then waits for the SLI to come back; if it does not, the runbook moves on.
import { definePlay } from 'runbook-machines';

export const flagOff = definePlay(({ step, ops }) => {
  const flag = step.with.flag;
  if (typeof flag !== 'string') return { ok: false, detail: 'flagOff needs `with: { flag: NAME }`' };
  ops.setFlag(flag, false);
  return { ok: true, detail: `turned ${flag} off at minute ${ops.now()}` };
});
