import { loadTopology } from '../topology/index.js';
import { fail } from './exit.js';
import { table } from './table.js';

/** `roc ping`: every guest with reachability, agent version, round trip and modules. */
export async function runPing(flags: { topology?: string; timeout?: string }): Promise<void> {
  let topology;
  try {
    topology = loadTopology(flags.topology);
  } catch (err) {
    fail(`roc ping: ${(err as Error).message}`, err);
  }
  const timeout = Number(flags.timeout ?? 3000);
  const result = await topology.guests().map('ping()', async (g) => {
    const started = process.hrtime.bigint();
    const info = await g.ping({ timeout });
    return { info, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  });
  topology.close();
  const rows = result.outcomes.map((o) => {
    if (!o.ok) return [o.guest, o.endpoint, 'DOWN', '-', '-', o.error.message];
    const { info, ms } = o.value;
    const modules = info.modules.map((m) => m.split('/').pop()).join(' ') || '(library only)';
    return [o.guest, o.endpoint, 'up', info.version, `${ms.toFixed(1)} ms`, modules];
  });
  process.stdout.write(`${table(['GUEST', 'ENDPOINT', 'STATE', 'VERSION', 'RTT', 'MODULES / ERROR'], rows)}\n`);
  if (!result.ok) process.exitCode = 1;
}
