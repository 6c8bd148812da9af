// A play that changes nothing in the world: it tells the service's owners and succeeds. A runbook
// that lists it first still needs a later play to bring the SLI back: after the step's settle window
// the incident machine moves on to the next one.
import { definePlay } from 'runbook-machines';

export const notifyOwners = definePlay(({ ops }) => ({
  ok: true,
  detail: `told the owners at minute ${ops.now()}`,
}));
