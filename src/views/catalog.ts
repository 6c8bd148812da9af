/**
 * What the views offer, by name: the machines that can be drawn and tested, and the formats they
 * export to. Kept apart from the machines themselves so that `--help` and flag checks load no XState.
 */

export const MACHINE_NAMES = ['incident', 'release'] as const;
export type MachineName = (typeof MACHINE_NAMES)[number];

export const isMachineName = (name: string): name is MachineName =>
  (MACHINE_NAMES as readonly string[]).includes(name);

export const FORMATS = ['mermaid', 'dot', 'svg', 'json'] as const;
export type Format = (typeof FORMATS)[number];
