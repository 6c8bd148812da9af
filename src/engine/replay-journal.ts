import type { Batch, JournalEntry, RunJournal, RunMeta } from './journal.js';
import type { TraceEntry } from './trace.js';

/**
 * A stored run's journal, read only: the engine replays every input from the first (no checkpoint),
 * so the machines go through the run again, event by event, for an inspector to watch. Recorded play
 * outcomes are applied, never run; nothing is written back.
 */
export class ReplayJournal implements RunJournal {
  readonly id: string;
  readonly meta: RunMeta;
  private readonly recorded: JournalEntry[];

  constructor(stored: RunJournal) {
    this.id = stored.id;
    this.meta = stored.meta;
    this.recorded = stored.entries();
  }

  entries(after = 0): JournalEntry[] {
    return this.recorded.filter((entry) => entry.seq > after);
  }

  latestCheckpoint(): null {
    return null;
  }

  trace(): TraceEntry[] {
    return [];
  }

  commit(_batch: Batch): void {}

  checkpoint(_seq: number, _state: string): void {}

  finish(_result: string): void {}

  result(): string | null {
    return null;
  }
}
