/**
 * The contract between the incident machine and a runbook play. A play is any actor logic that takes
 * a PlayInput and finishes with a PlayOutput (most plays are `fromPromise`); it is registered by name
 * and the machine only ever names it through the runbook.
 */

/** One step of a runbook, with the settings runbook tools give (Rundeck, SSM Automation). */
export interface RunbookStep {
  play: string;
  /** Sim minutes the play may run before it counts as timed out. */
  timeout: number;
  /** How many times a failed or timed-out play is tried again before its onFailure applies. */
  retries: number;
  /** What a play that still fails after its retries does: go on to the next step, or escalate at once. */
  onFailure: 'next' | 'escalate';
  /** Play-specific settings, passed through untouched (e.g. the flag a kill-switch play turns off). */
  with: Record<string, unknown>;
}

/**
 * What a play may do to the world. The runtime (src/) implements it over the release actor and the
 * service under operation; machines never see more than this interface.
 */
export interface PlayOps {
  /** Sim minute now. */
  now(): number;
  /** Live release and the release a rollback would land on. */
  release(): { live: string; lastGood: string | null };
  /** Rolls the live release back to the last good one; null when there is none to go back to. */
  rollback(): { from: string; to: string } | null;
  /** Rebuilds the retrieval index now and restarts its updates. */
  reindex(): { builtAt: number };
  /** Turns a feature flag of the service on or off (e.g. `answer:refunds` to hand a topic to humans). */
  setFlag(name: string, on: boolean): void;
  /**
   * Clears the named faults of the simulated world that are active now (a failover ends a slow
   * dependency); the names it cleared. Live there are no simulated faults: it throws.
   */
  clearFaults(faults: readonly string[]): string[];
}

export interface PlayInput {
  incident: { id: string; service: string; type: string };
  step: RunbookStep;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
  /**
   * `incident/step/attempt` (step counted from 1): the same on every run of this try, a restart
   * included. A play that acts on the world passes it along (a header, a request id) so that acting
   * twice under one key changes nothing the second time.
   */
  key: string;
  /** The item (a host, a region) of a runbook's fan-out step this play runs for; its key ends with it. */
  item?: string;
  ops: PlayOps;
}

export interface PlayOutput {
  ok: boolean;
  /** One line for the trace and the narration: what the play did, or why it could not. */
  detail: string;
  /** Named values for later steps of a runbook (`${{ steps.NAME.outputs.KEY }}`); scalars, kept as text. */
  outputs?: Record<string, string | number | boolean>;
}
