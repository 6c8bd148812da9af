/**
 * The one template syntax of runbooks: `${{ path }}` inside a string of a step's `with:` (or a
 * notify message) is replaced by a value looked up by its dotted path. Nothing is evaluated: a path
 * is a lookup, never code. The paths:
 *
 *   steps.NAME.outputs.KEY   an output the play of an earlier step reported
 *   item                     the item of a fan-out (`parallel:`) this play runs for
 *   incident.id | incident.service | incident.type | incident.severity | incident.labels.KEY
 */

const REFERENCE = /\$\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}/g;

export interface TemplateScope {
  steps: Record<string, Record<string, string>>;
  item?: string;
  incident: {
    id: string;
    service: string;
    type: string;
    severity: string | null;
    labels: Record<string, string>;
  };
}

/** A reference that has no value (yet): the step that needs it fails saying which. */
export class TemplateError extends Error {}

/** The dotted paths a text refers to, for checking them before anything runs. */
export function references(text: string): string[] {
  return [...text.matchAll(REFERENCE)].map((m) => m[1] as string);
}

/** Whether a path is one of the shapes above (whatever its step and key). */
export function isKnownPath(path: string): boolean {
  return (
    /^steps\.[^.]+\.outputs\.[^.]+$/.test(path) ||
    path === 'item' ||
    /^incident\.(id|service|type|severity)$/.test(path) ||
    /^incident\.labels\.[^.]+$/.test(path)
  );
}

function lookup(path: string, scope: TemplateScope): string {
  const parts = path.split('.');
  let value: string | undefined | null;
  if (parts[0] === 'steps') value = scope.steps[parts[1] as string]?.[parts[3] as string];
  else if (path === 'item') value = scope.item;
  else if (parts[1] === 'labels') value = scope.incident.labels[parts[2] as string];
  else value = scope.incident[parts[1] as 'id'] ?? undefined;
  if (value === undefined || value === null) throw new TemplateError(`\${{ ${path} }} has no value`);
  return value;
}

/** A string with its references replaced. */
export function renderText(text: string, scope: TemplateScope): string {
  return text.replace(REFERENCE, (_, path: string) => lookup(path, scope));
}

/** A step's settings with every string (at any depth) rendered; other values as they are. */
export function render(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') return renderText(value, scope);
  if (Array.isArray(value)) return value.map((v) => render(v, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, scope)]));
  }
  return value;
}

/** Every string at any depth of a value, for checking its references. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}
