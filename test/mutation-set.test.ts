import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import mutation from '../vitest.mutation.config.js';

/**
 * The tests Stryker runs against each mutant (vitest.mutation.config.ts) import src/ and machines/,
 * never the built CLI: a test of dist/ sees none of the mutants, and in Stryker's sandbox dist/ is
 * missing or older than src/, so Stryker's initial run fails on a clean clone (issue 32).
 */
describe('the mutation tests', () => {
  const files = (mutation.test?.include ?? []) as string[];

  it('are a list of test files', () => {
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) expect(file).toMatch(/^test\/[\w-]+\.test\.ts$/);
  });

  it('never run the built CLI', () => {
    const built = files.filter((file) =>
      /support\/cli-process|bin\/runbook\.cjs|['"]\.\.\/dist\//.test(readFileSync(file, 'utf8')),
    );
    expect(built).toEqual([]);
  });
});
