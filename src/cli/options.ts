import { FORBIDDEN_NAME } from '../toolkit/alerts.js';
import { InputError } from '../toolkit/errors.js';

interface NumberRule {
  integer?: boolean;
  /** Inclusive lower bound unless `exclusive` is set. */
  min?: number;
  max?: number;
  exclusive?: boolean;
}

/** A commander argument parser for a number flag; bad values name the flag, exit 2. */
export function numberFlag(flag: string, rule: NumberRule = {}) {
  return (raw: string): number => {
    const value = Number(raw);
    const fail = (why: string) => new InputError(`${why} (got ${JSON.stringify(raw)})`, undefined, flag);
    if (raw.trim() === '' || !Number.isFinite(value)) throw fail('must be a number');
    if (rule.integer && !Number.isInteger(value)) throw fail('must be a whole number');
    const { min, max, exclusive } = rule;
    const below = min !== undefined && (exclusive ? value <= min : value < min);
    const above = max !== undefined && (exclusive ? value >= max : value > max);
    if (below || above) {
      const open = exclusive ? '(' : '[';
      const close = exclusive ? ')' : ']';
      throw fail(`must be in ${open}${min ?? '-inf'}, ${max ?? 'inf'}${close}`);
    }
    return value;
  };
}

/** A comma-separated list of label names (`--group-by service,alertname`). */
export function labelsFlag(flag: string) {
  return (raw: string): string[] => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length === 0) throw new InputError('must name at least one label', undefined, flag);
    if (items.includes(FORBIDDEN_NAME))
      throw new InputError(`"${FORBIDDEN_NAME}" is not allowed as a label name`, undefined, flag);
    return items;
  };
}

/** A file path flag: an empty one (`--scenario ""`, an unset shell variable) names the flag, not a file. */
export function pathFlag(flag: string) {
  return (raw: string): string => {
    if (raw.trim() === '') throw new InputError('must be a file path (got an empty string)', undefined, flag);
    return raw;
  };
}
