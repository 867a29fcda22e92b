// tsc does not set the executable bit on the CLI entry points that package.json's bin names.
import { chmodSync, existsSync } from 'node:fs';

for (const bin of ['dist/src/cli/roc.js', 'dist/src/cli/roc-agent.js']) {
  if (existsSync(bin)) chmodSync(bin, 0o755);
}
