import { loadTopology } from '../topology/index.js';
import { HttpStatusError } from '../wire/index.js';
import { fail } from './exit.js';
import { table } from './table.js';

export interface PingRow {
  name: string;
  endpoint: string;
  /** up; refused: it answered but refused our token (HTTP 401); down: no answer. */
  state: 'up' | 'refused' | 'down';
  version: string | null;
  rttMs: number | null;
  modules: string[];
  error: string | null;
  /** Where the guest came from: the topology, or an inventory. */
  source: string;
}

/** `roc ping`: every guest with reachability, agent version, round trip and modules; `--json` for scripts. */
export async function runPing(flags: { topology?: string; timeout?: string; json?: boolean }): Promise<void> {
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
  const sourceOf = (name: string): string => topology.specs.get(name)?.source ?? 'the topology';
  topology.close();
  const rows: PingRow[] = result.outcomes.map((o) => {
    if (!o.ok) {
      const refused = o.error instanceof HttpStatusError && o.error.status === 401;
      return {
        name: o.guest,
        endpoint: o.endpoint,
        state: refused ? 'refused' : 'down',
        version: null,
        rttMs: null,
        modules: [],
        error: o.error.message,
        source: sourceOf(o.guest),
      };
    }
    const { info, ms } = o.value;
    return {
      name: o.guest,
      endpoint: o.endpoint,
      state: 'up',
      version: info.version,
      rttMs: Math.round(ms * 10) / 10,
      modules: info.modules,
      error: null,
      source: sourceOf(o.guest),
    };
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    // Where each guest came from, once some came from an inventory.
    const from = rows.some((r) => r.source !== 'the topology');
    const cells = rows.map((r) => [
      r.name,
      r.endpoint,
      r.state === 'up' ? 'up' : r.state.toUpperCase(),
      r.version ?? '-',
      r.rttMs === null ? '-' : `${r.rttMs.toFixed(1)} ms`,
      ...(from ? [r.source] : []),
      r.error ?? (r.modules.map((m) => m.split('/').pop()).join(' ') || '(library only)'),
    ]);
    const head = ['GUEST', 'ENDPOINT', 'STATE', 'VERSION', 'RTT', ...(from ? ['FROM'] : []), 'MODULES / ERROR'];
    process.stdout.write(`${table(head, cells)}\n`);
  }
  if (!result.ok) process.exitCode = 1;
}
