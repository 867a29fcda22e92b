import { boundedRegex } from './bounded-regex.js';
import { FileFollower } from './file-follower.js';
import { followJournal } from './journal-follower.js';
import { canConnect, http, isListening } from './network.js';
import { alive, find } from './processes.js';
import { exists } from './files.js';
import { shell } from './command.js';
import { systemctl } from './systemctl.js';
import type { WaitCondition, WirePattern } from './types.js';

/** One condition being watched: whether it holds, and what was seen last. */
export interface Probe {
  check(): Promise<boolean>;
  /** One line: the condition and its last observed state. */
  observed(): Promise<string>;
  close(): Promise<void>;
}

const LAST_LINES = 5;
const show = (p: WirePattern): string => `/${p.source}/${p.flags}`;
const clip = (s: string, n = 200): string => (s.length > n ? `${s.slice(0, n)}…` : s);

async function processState(name: string | undefined): Promise<string> {
  if (!name) return '';
  const found = await find(name).catch(() => []);
  return found.length
    ? `; process ${name} runs (pid ${found.map((p) => p.pid).join(', ')})`
    : `; process ${name} is not running`;
}

async function unitState(unit: string): Promise<string> {
  try {
    return (await systemctl(['is-active', unit])).stdout || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Lines of a file (from its start, or from now) or of a unit's journal (since its last start, or from now), counted as they come. */
function logLineProbe(c: Extract<WaitCondition, { kind: 'logLine' }>): Probe {
  const re = boundedRegex(c.pattern);
  const last: string[] = [];
  let seen = 0;
  let stop: (() => Promise<void>) | undefined;
  let failed: string | undefined;
  const consume = async (lines: AsyncIterator<string>): Promise<void> => {
    for (;;) {
      const r = await lines.next();
      if (r.done) return;
      last.push(r.value);
      if (last.length > LAST_LINES) last.shift();
      if (re.test(r.value)) seen++;
    }
  };
  const started = (async () => {
    let lines: AsyncIterator<string> & { return(): Promise<unknown> };
    if (c.path !== undefined) {
      lines = await FileFollower.open(c.path, { from: c.from });
    } else {
      const since = c.from === 'end' ? [`--since=@${(Date.now() / 1000).toFixed(6)}`] : await sinceLastStart(c.unit!);
      lines = followJournal(c.unit!, since);
    }
    stop = async () => void (await lines.return());
    void consume(lines).catch((err: Error) => (failed = err.message));
  })().catch((err: Error) => (failed = err.message));
  const where = c.path !== undefined ? c.path : `the journal of ${c.unit}`;
  return {
    check: async () => {
      await started;
      return seen >= c.times;
    },
    observed: async () =>
      `log line ${show(c.pattern)} ${c.times > 1 ? `${c.times} times ` : ''}in ${where}: seen ${seen} time(s)` +
      (failed ? `; reading failed: ${failed}` : '') +
      (last.length ? `; last lines: ${last.map((l) => JSON.stringify(clip(l, 120))).join(' ')}` : '; no lines yet') +
      (c.unit ? `; unit ${c.unit} is ${await unitState(c.unit)}` : '') +
      (await processState(c.process)),
    close: async () => {
      await started;
      await stop?.();
    },
  };
}

/** journalctl arguments for the lines since the unit last started: its invocation, when systemd names one. */
async function sinceLastStart(unit: string): Promise<string[]> {
  try {
    const id = (await systemctl(['show', unit, '--property=InvocationID', '--value'])).stdout;
    return id ? [`_SYSTEMD_INVOCATION_ID=${id}`] : ['-n', 'all'];
  } catch {
    return ['-n', 'all'];
  }
}

/** Re-evaluates `poll` on each check, keeping its last observation. */
function polled(describe: string, poll: () => Promise<{ ok: boolean; state: string }>, process?: string): Probe {
  let state = 'not checked yet';
  return {
    check: async () => {
      try {
        const r = await poll();
        state = r.state;
        return r.ok;
      } catch (err) {
        state = (err as Error).message;
        return false;
      }
    },
    observed: async () => `${describe}: ${state}${await processState(process)}`,
    close: async () => undefined,
  };
}

export function probeOf(c: WaitCondition): Probe {
  switch (c.kind) {
    case 'logLine':
      return logLineProbe(c);
    case 'port':
      return polled(
        `port ${c.port}${c.host ? ` on ${c.host}` : ''}`,
        async () => {
          if (c.host) {
            const r = await canConnect(c.host, c.port, 1_000);
            return { ok: r.ok, state: r.ok ? 'accepts connections' : `refused (${r.error})` };
          }
          const ok = await isListening(c.port);
          return { ok, state: ok ? 'listening' : 'nothing listens on it' };
        },
        c.process,
      );
    case 'http':
      return polled(
        `HTTP ${c.status} from ${c.method && c.method !== 'GET' ? `${c.method} ` : ''}${c.url}${c.bodyMatches ? ` with a body matching ${show(c.bodyMatches)}` : ''}`,
        async () => {
          const r = await http({
            url: c.url,
            method: c.method,
            headers: c.headers,
            body: c.body,
            timeout: 2_000,
          });
          const bodyOk = !c.bodyMatches || boundedRegex(c.bodyMatches).test(r.body);
          return {
            ok: r.status === c.status && bodyOk,
            state: `got HTTP ${r.status}${bodyOk ? '' : ', body did not match'}: ${JSON.stringify(clip(r.body.trim(), 120))}`,
          };
        },
        c.process,
      );
    case 'command':
      return polled(
        `command ${JSON.stringify(c.line)} exiting ${c.exitCode}`,
        async () => {
          const r = await shell(c.line, { timeout: 10_000 });
          const out = (r.stdout + r.stderr).trim();
          return {
            ok: r.exitCode === c.exitCode,
            state: `exited ${r.timedOut ? 'by timeout' : r.exitCode}${out ? `: ${JSON.stringify(clip(out.split('\n').slice(-3).join('\n'), 200))}` : ''}`,
          };
        },
        c.process,
      );
    case 'service':
      return polled(`service ${c.unit} ${c.state}`, async () => {
        const s = await unitState(c.unit);
        return { ok: s === c.state, state: `is ${s}` };
      });
    case 'file':
      return polled(
        `file ${c.path}`,
        async () => {
          const ok = await exists(c.path);
          return { ok, state: ok ? 'exists' : 'does not exist' };
        },
        c.process,
      );
    case 'process':
    case 'exited':
      return polled(`pid ${c.pid} ${c.kind === 'process' ? 'running' : 'gone'}`, async () => {
        const up = await alive(c.pid);
        return { ok: up === (c.kind === 'process'), state: up ? 'runs' : 'is not running' };
      });
    case 'all':
    case 'any': {
      const parts = c.of.map(probeOf);
      return {
        check: async () => {
          const results = await Promise.all(parts.map((p) => p.check()));
          return c.kind === 'all' ? results.every(Boolean) : results.some(Boolean);
        },
        observed: async () =>
          `${c.kind} of ${parts.length}: ${(await Promise.all(parts.map((p) => p.observed()))).join(' | ')}`,
        close: async () => void (await Promise.all(parts.map((p) => p.close()))),
      };
    }
  }
}
