import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TopologyNotFoundError } from './errors.js';

/** `ROC_TOPOLOGY`, else `roc.yml` in the working directory or the nearest parent. */
export function findTopologyFile(cwd = process.cwd()): string {
  const fromEnv = process.env.ROC_TOPOLOGY;
  if (fromEnv) return resolve(cwd, fromEnv);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, 'roc.yml');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new TopologyNotFoundError(
    `no topology: set ROC_TOPOLOGY, or put a roc.yml in ${resolve(cwd)} or a parent folder (see the README's topology section)`,
    resolve(cwd),
  );
}
