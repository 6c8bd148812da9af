import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's own folder, found from this module whether it runs from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("package.json not found above the package's modules");
    dir = up;
  }
  return dir;
}

/** The stock shift, shipped with the package: the default scenario of every shift command. */
export const stockScenario = () => join(packageRoot(), 'scenarios', 'stock-shift.yaml');

/** The configuration `runbook serve` runs when given none: the stock shift's service, live. */
export const exampleServeConfig = () => join(packageRoot(), 'examples', 'serve.yaml');
