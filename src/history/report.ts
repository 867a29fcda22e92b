import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { operationsOf, type HistoryEvent } from './history.js';
import type { CheckResult } from './linearizability.js';

/** A fault as a report shows it: what, and when (epoch milliseconds); a Fault's toJSON() is one. */
export interface ReportFault {
  kind?: string;
  description: string;
  startedAt: number;
  healedAt?: number;
}

export interface ReportInput {
  /** The history's events, or a History (its events, the origin that places faults on its timeline, and its faults). */
  history: readonly HistoryEvent[] | { events: readonly HistoryEvent[]; origin?: { wallMs: number; ns: number } };
  /** Where monotonic ns (events) and epoch ms (faults) meet; a History knows it. */
  origin?: { wallMs: number; ns: number };
  faults?: readonly ReportFault[];
  result?: CheckResult;
  /** Log excerpts shown under the timeline. */
  logs?: string;
  title?: string;
}

/** Everything the page draws, as compact arrays: a 100,000-operation history stays a few MB. */
function dataOf(input: ReportInput): unknown {
  const events = Array.isArray(input.history)
    ? (input.history as readonly HistoryEvent[])
    : (input.history as { events: readonly HistoryEvent[] }).events;
  const origin =
    input.origin ??
    (Array.isArray(input.history) ? undefined : (input.history as { origin?: { wallMs: number; ns: number } }).origin);
  const ops = operationsOf(events);
  // Fails are part of what clients saw: the report shows them too.
  const failed: { process: number | string; f: string; value: unknown; call: number; ret: number }[] = [];
  const open = new Map<number | string, HistoryEvent>();
  for (const e of events) {
    if (e.type === 'invoke') open.set(e.process, e);
    else {
      const inv = open.get(e.process);
      open.delete(e.process);
      if (inv && e.type === 'fail')
        failed.push({ process: e.process, f: inv.f, value: inv.value, call: inv.time, ret: e.time });
    }
  }
  const t0 = events.length ? events[0]!.time : 0;
  const end = events.length ? events.at(-1)!.time : 0;
  const processes = [...new Set(events.map((e) => String(e.process)))].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true }),
  );
  const lane = new Map(processes.map((p, i) => [p, i]));
  const ms = (ns: number): number => (ns - t0) / 1e6;
  const prefix = new Set((input.result?.prefix ?? []).map((o) => o.id));
  const culprit = input.result?.op?.id;
  // Columns: lane, start ms, end ms (-1: open to the end), outcome (0 ok, 1 info, 2 fail), f, value, output, mark (1 prefix, 2 culprit).
  const rows: unknown[][] = [];
  for (const op of ops)
    rows.push([
      lane.get(String(op.process)),
      ms(op.call),
      op.type === 'info' ? -1 : ms(op.ret),
      op.type === 'ok' ? 0 : 1,
      op.f,
      JSON.stringify(op.input),
      op.type === 'ok' ? JSON.stringify(op.output) : '',
      op.id === culprit ? 2 : prefix.has(op.id) ? 1 : 0,
    ]);
  for (const f of failed)
    rows.push([lane.get(String(f.process)), ms(f.call), ms(f.ret), 2, f.f, JSON.stringify(f.value), '', 0]);
  rows.sort((a, b) => (a[1] as number) - (b[1] as number));
  const given =
    input.faults ??
    (Array.isArray(input.history) ? undefined : (input.history as { faults?: readonly ReportFault[] }).faults);
  const faults = (given ?? []).map((f) => {
    // Epoch ms to the history's ms: through the origin, where both clocks were read at once.
    const at = (wall: number): number => (origin ? wall - origin.wallMs + (origin.ns - t0) / 1e6 : wall);
    return {
      name: f.description,
      kind: f.kind ?? '',
      start: at(f.startedAt),
      end: f.healedAt === undefined ? -1 : at(f.healedAt),
    };
  });
  return {
    title: input.title ?? 'ROC run report',
    processes,
    rows,
    faults,
    endMs: ms(end),
    verdict: input.result
      ? {
          valid: input.result.valid,
          model: input.result.model,
          ops: input.result.ops,
          ms: input.result.ms,
          op: input.result.op
            ? `${String(input.result.op.process)} ${input.result.op.f} ${JSON.stringify(input.result.op.input)} -> ${JSON.stringify(input.result.op.output)}`
            : undefined,
          states: input.result.states?.map((s) => JSON.stringify(s)),
          part: input.result.part,
          reason: input.result.reason,
        }
      : undefined,
    logs: input.logs ?? '',
  };
}

/** One self-contained HTML page (no network): a timeline with a lane per process, fault windows, zoom and pan, and latencies. */
export function renderReport(input: ReportInput): string {
  const data = JSON.stringify(dataOf(input)).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ROC run report</title>
<style>
body{font:13px system-ui,sans-serif;margin:0;color:#222}
header{padding:10px 16px;border-bottom:1px solid #ddd}
h1{font-size:17px;margin:0 0 4px}
.verdict{font-weight:600}.valid{color:#2e7d32}.invalid{color:#c62828}.unknown{color:#ef6c00}
#wrap{position:relative;display:flex}
#labels{width:90px;flex:none}
.lane-label{height:18px;line-height:18px;padding-right:6px;text-align:right;font-size:11px;color:#555;white-space:nowrap;overflow:hidden}
#timeline{flex:1;display:block;cursor:grab}
#tip{position:fixed;pointer-events:none;background:#fff;border:1px solid #999;padding:4px 6px;font-size:12px;display:none;white-space:pre;z-index:2;box-shadow:0 1px 4px rgba(0,0,0,.2)}
#legend{padding:6px 16px;font-size:12px}
.fault{display:inline-block;margin-right:14px}
.fault i{display:inline-block;width:12px;height:10px;background:rgba(120,120,255,.25);border:1px solid #88f;margin-right:4px;vertical-align:-1px}
.key i{display:inline-block;width:12px;height:8px;margin:0 4px 0 10px}
section{padding:8px 16px}
pre{background:#f7f7f7;padding:8px;overflow:auto;max-height:300px}
</style></head><body>
<header><h1 id="title"></h1><div id="summary"></div><div class="key">
<i style="background:#43a047"></i>ok<i style="background:#fb8c00"></i>info (open to the end)<i style="background:#e53935"></i>fail
<i style="background:#fff;border:2px solid #1565c0"></i>linearizable prefix<i style="background:#fff;border:2px solid #d500f9"></i>cannot be placed
&nbsp; wheel: zoom, drag: pan, double-click: all</div></header>
<div id="legend"></div>
<div id="wrap"><div id="labels"></div><canvas id="timeline"></canvas></div>
<div id="tip"></div>
<section><h2 style="font-size:14px">Latency by outcome</h2><canvas id="hist" width="700" height="170"></canvas></section>
<section id="logsec"><h2 style="font-size:14px">Logs</h2><pre id="logs"></pre></section>
<script type="application/json" id="data">${data}</script>
<script>
(() => {
  const D = JSON.parse(document.getElementById('data').textContent);
  const LANE = 18, TOP = 4;
  const rows = D.rows, colors = ['#43a047', '#fb8c00', '#e53935'];
  document.getElementById('title').textContent = D.title;
  const v = D.verdict;
  document.getElementById('summary').innerHTML = v
    ? '<span class="verdict ' + (v.valid === true ? 'valid">valid' : v.valid === false ? 'invalid">not linearizable' : 'unknown">unknown') + '</span> as ' + esc(v.model) + ', ' + v.ops + ' operations, checked in ' + v.ms + ' ms' + (v.op ? '; cannot be placed: <b>' + esc(v.op) + '</b>' + (v.part ? ' (key ' + esc(v.part) + ')' : '') + (v.states ? '; it could have seen ' + esc(v.states.join(' or ')) : '') : '') + (v.reason ? ' (' + esc(v.reason) + ')' : '')
    : rows.length + ' operations';
  function esc(s) { return String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]); }
  const labels = document.getElementById('labels');
  for (const p of D.processes) { const d = document.createElement('div'); d.className = 'lane-label'; d.textContent = 'process ' + p; labels.appendChild(d); }
  const legend = document.getElementById('legend');
  for (const f of D.faults) { const s = document.createElement('span'); s.className = 'fault'; s.innerHTML = '<i></i>' + esc(f.name) + ' (' + f.start.toFixed(1) + ' ms to ' + (f.end < 0 ? 'the end' : f.end.toFixed(1) + ' ms') + ')'; legend.appendChild(s); }
  document.getElementById('logs').textContent = D.logs;
  if (!D.logs) document.getElementById('logsec').style.display = 'none';
  const canvas = document.getElementById('timeline'), ctx = canvas.getContext('2d');
  const end = Math.max(D.endMs, 1e-3);
  let view = [0, end * 1.02];
  const ends = rows.map((r) => (r[2] < 0 ? end : r[2]));
  // Operations open to the end are drawn apart; for the others, the longest says how far before the view
  // one can start and still reach into it, so a redraw looks only at what can be in view.
  const openOps = []; let longest = 0;
  for (let i = 0; i < rows.length; i++) { if (rows[i][2] < 0) openOps.push(i); else longest = Math.max(longest, ends[i] - rows[i][1]); }
  function size() { canvas.width = canvas.clientWidth || (innerWidth - 90); canvas.height = TOP * 2 + D.processes.length * LANE; canvas.style.height = canvas.height + 'px'; }
  const x = (t) => ((t - view[0]) / (view[1] - view[0])) * canvas.width;
  function first(t) { let lo = 0, hi = rows.length; while (lo < hi) { const m = (lo + hi) >> 1; if (rows[m][1] < t) lo = m + 1; else hi = m; } return lo; }
  let drawn = 0;
  function draw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    for (let l = 0; l < D.processes.length; l += 2) { ctx.fillStyle = '#fafafa'; ctx.fillRect(0, TOP + l * LANE, canvas.width, LANE); }
    for (const f of D.faults) { const a = x(f.start), b = x(f.end < 0 ? view[1] : f.end); ctx.fillStyle = 'rgba(120,120,255,0.18)'; ctx.fillRect(a, 0, Math.max(1, b - a), canvas.height); ctx.strokeStyle = '#88f'; ctx.strokeRect(a, 0, Math.max(1, b - a), canvas.height); }
    // Only what is in view: from the first operation that can reach into it to the last that starts in it.
    drawn = 0;
    const bar = (i) => {
      const r = rows[i];
      const a = x(r[1]), b = Math.max(a + 1, x(ends[i])), y = TOP + r[0] * LANE + 3;
      ctx.fillStyle = colors[r[3]]; ctx.globalAlpha = r[3] === 1 ? 0.55 : 1; ctx.fillRect(a, y, b - a, LANE - 6); ctx.globalAlpha = 1;
      if (r[7]) { ctx.lineWidth = 2; ctx.strokeStyle = r[7] === 2 ? '#d500f9' : '#1565c0'; ctx.strokeRect(a, y, b - a, LANE - 6); ctx.lineWidth = 1; }
      drawn++;
    };
    for (let i = first(view[0] - longest); i < rows.length && rows[i][1] <= view[1]; i++) if (rows[i][2] >= 0 && ends[i] >= view[0]) bar(i);
    for (const i of openOps) if (rows[i][1] <= view[1]) bar(i);
  }
  function at(px, py) {
    const lane = Math.floor((py - TOP) / LANE), t = view[0] + (px / canvas.width) * (view[1] - view[0]);
    const slack = (view[1] - view[0]) * 2 / canvas.width;
    let best = -1;
    for (let i = first(t - longest - slack); i < rows.length && rows[i][1] <= t + slack; i++) if (rows[i][0] === lane && ends[i] >= t - slack) best = i;
    if (best < 0) for (const i of openOps) if (rows[i][0] === lane && rows[i][1] <= t + slack) best = i;
    return best;
  }
  const tip = document.getElementById('tip');
  function describe(i) { const r = rows[i]; return 'process ' + D.processes[r[0]] + '\\n' + r[4] + ' ' + r[5] + (r[6] ? ' -> ' + r[6] : '') + '\\n' + ['ok', 'info', 'fail'][r[3]] + (r[7] === 2 ? ' (cannot be placed)' : r[7] ? ' (in the linearizable prefix)' : '') + '\\ninvoked ' + r[1].toFixed(3) + ' ms, ' + (r[2] < 0 ? 'no answer' : 'completed ' + r[2].toFixed(3) + ' ms (' + (r[2] - r[1]).toFixed(3) + ' ms)'); }
  let drag;
  canvas.addEventListener('mousemove', (e) => {
    const rect = canvas.getBoundingClientRect(), px = e.clientX - rect.left, py = e.clientY - rect.top;
    if (drag) { const dt = ((drag - px) / canvas.width) * (view[1] - view[0]); view = [view[0] + dt, view[1] + dt]; drag = px; draw(); return; }
    const i = at(px, py);
    if (i < 0) { tip.style.display = 'none'; return; }
    tip.textContent = describe(i); tip.style.display = 'block';
    // Beside the pointer, on whichever side has room.
    tip.style.left = (e.clientX + 12 + tip.offsetWidth > innerWidth ? e.clientX - 12 - tip.offsetWidth : e.clientX + 12) + 'px';
    tip.style.top = (e.clientY + 12 + tip.offsetHeight > innerHeight ? e.clientY - 12 - tip.offsetHeight : e.clientY + 12) + 'px';
  });
  canvas.addEventListener('mouseleave', () => (tip.style.display = 'none'));
  canvas.addEventListener('mousedown', (e) => { drag = e.clientX - canvas.getBoundingClientRect().left; canvas.style.cursor = 'grabbing'; });
  addEventListener('mouseup', () => { drag = undefined; canvas.style.cursor = 'grab'; });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const rect = canvas.getBoundingClientRect(), t = view[0] + ((e.clientX - rect.left) / canvas.width) * (view[1] - view[0]);
    const k = e.deltaY < 0 ? 0.8 : 1.25;
    view = [t - (t - view[0]) * k, t + (view[1] - t) * k]; draw();
  }, { passive: false });
  canvas.addEventListener('dblclick', () => { view = [0, end * 1.02]; draw(); });
  addEventListener('resize', () => { size(); draw(); });
  size(); draw();
  // Latency by outcome: log-scale buckets from 1 µs to 100 s.
  const h = document.getElementById('hist'), hc = h.getContext('2d'), B = 40, counts = [new Array(B).fill(0), new Array(B).fill(0), new Array(B).fill(0)];
  for (const r of rows) { if (r[2] < 0) continue; const d = Math.max(1e-3, r[2] - r[1]); const b = Math.min(B - 1, Math.max(0, Math.floor((Math.log10(d) + 3) * 5))); counts[r[3]][b]++; }
  const max = Math.max(1, ...counts.flat());
  for (let o = 0; o < 3; o++) for (let b = 0; b < B; b++) { const hgt = (counts[o][b] / max) * 130; hc.fillStyle = colors[o]; hc.globalAlpha = 0.7; hc.fillRect(20 + b * 16 + o * 5, 140 - hgt, 5, hgt); }
  hc.globalAlpha = 1; hc.fillStyle = '#555'; for (let b = 0; b <= B; b += 5) hc.fillText(['1µs', '10µs', '100µs', '1ms', '10ms', '100ms', '1s', '10s', '100s'][b / 5] || '', 20 + b * 16, 158);
  window.rocReport = {
    ready: true,
    lanes: D.processes.length,
    faults: D.faults.length,
    operations: rows.length,
    drawn: () => drawn,
    view: () => view.slice(),
    /** Where an operation's bar is on the page (the middle of its visible part), for tests. */
    pointOf(i) { const rect = canvas.getBoundingClientRect(); const a = Math.max(0, x(rows[i][1])), b = Math.min(canvas.width, x(ends[i])); return { x: rect.left + (a + b) / 2, y: rect.top + TOP + rows[i][0] * LANE + LANE / 2 }; },
    rows: () => rows.length,
  };
})();
</script></body></html>
`;
}

/** Writes the report page to `file` (its folder made when missing). */
export function writeReport(input: ReportInput, file: string): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderReport(input));
  return file;
}
