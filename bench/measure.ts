/** The helpers every row measures with: wall time, medians, and heap after a full collection. */

export const msSince = (start: number): number => performance.now() - start;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** The q-quantile (0..1) by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** A full, synchronous collection: the bench runs under `node --expose-gc`, without it heap figures lie. */
export function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the bench with `node --expose-gc` (npm run bench does)');
  // Twice: the first pass can leave weak references and finalizers for the second to reap.
  gc();
  gc();
}

/** Bytes of live heap after a full collection. */
export function liveHeap(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

/** The peak resident set of this process so far, in bytes (getrusage's ru_maxrss). */
export const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

export const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3)).concat(' ms');
export const fmtKb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`;
export const fmtMb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const fmtRatio = (ratio: number): string => `${ratio.toFixed(2)}x`;
