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

/**
 * The token a network-namespace lab makes for a topology that names none
 * (beside the lab's state, mode 0600): its agents require it, and the host
 * finds it here for the guests whose topology gives no token_file.
 */
export const labTokenFile = (topologyFile: string): string => join(dirname(topologyFile), '.roc', 'lab', 'token');
