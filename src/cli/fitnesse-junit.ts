import { failed, type Counts, type TableResult } from './fitnesse-result.js';

/** One page of a `roc fitnesse` run, as the report shows it. */
export interface PageResult {
  page: string;
  /** FitNesse's counts for the page; undefined when FitNesse gave none (the page timed out, FitNesse stopped). */
  counts: Counts | undefined;
  tables: TableResult[];
  /** FitNesse's counts outside any table, when there were some. */
  rest?: TableResult;
  /** Why the page has no result from FitNesse. */
  error?: string;
  seconds: number;
  /** The guests' last log lines, read after the page failed. */
  logs?: string;
}

export const pageFailed = (p: PageResult): boolean => p.error !== undefined || (p.counts ? failed(p.counts) : true);

/** `1 page`, `3 pages`. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function tableName(t: TableResult): string {
  return t.kind === 'page' ? 'outside the tables' : `table ${t.index} (${t.kind}${t.fixture ? `: ${t.fixture}` : ''})`;
}

/** Every failed table of a page, its failed cells under it: what a CI dashboard shows for the failed test. */
export function failureText(p: PageResult): string {
  if (p.error) return p.error;
  const lines: string[] = [];
  for (const t of [...p.tables, ...(p.rest ? [p.rest] : [])]) {
    if (!failed(t)) continue;
    lines.push(`${tableName(t)}: ${t.right} right, ${t.wrong} wrong, ${t.exceptions} exceptions`);
    for (const f of t.failures) lines.push(...f.split('\n').map((l, i) => `${i ? '      ' : '    '}${l}`));
  }
  return lines.join('\n');
}

const esc = (s: string): string =>
  s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/**
 * JUnit XML as CI dashboards read it, at FitNesse's own granularity: one test
 * case per page (classname its suite, name the page), `<error>` when the page
 * had exceptions (or no result), `<failure>` when it had wrong cells, each
 * with the failed tables and cells; the guests' logs once per failed page.
 */
export function junit(suite: string, pages: readonly PageResult[], seconds: number): string {
  const errors = pages.filter((p) => p.error !== undefined || !p.counts || p.counts.exceptions > 0).length;
  const failures = pages.filter((p) => !p.error && p.counts && p.counts.exceptions === 0 && p.counts.wrong > 0).length;
  const head = `tests="${pages.length}" failures="${failures}" errors="${errors}" time="${seconds.toFixed(3)}"`;
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${esc(suite)}" ${head}>\n`;
  out += `  <testsuite name="${esc(suite)}" ${head} timestamp="${new Date().toISOString().slice(0, 19)}">\n`;
  for (const p of pages) {
    const dot = p.page.lastIndexOf('.');
    const attrs = `classname="${esc(dot > 0 ? p.page.slice(0, dot) : p.page)}" name="${esc(p.page.slice(dot + 1))}" time="${p.seconds.toFixed(3)}"${p.counts ? ` assertions="${p.counts.right}"` : ''}`;
    if (!pageFailed(p)) {
      out += `    <testcase ${attrs}/>\n`;
      continue;
    }
    const c = p.counts;
    const what = c
      ? `${c.right} right, ${c.wrong} wrong, ${c.ignores} ignored, ${c.exceptions} exceptions`
      : 'no result';
    const first = p.error ?? [...p.tables, ...(p.rest ? [p.rest] : [])].find(failed)?.failures[0] ?? '';
    const message = esc(`${p.page}: ${what}${first ? `; ${first.split('\n')[0]}` : ''}`);
    const kind = p.error !== undefined || !c || c.exceptions > 0 ? 'error' : 'failure';
    out += `    <testcase ${attrs}>\n      <${kind} message="${message}" type="${kind === 'error' ? 'exception' : 'wrong'}">${esc(failureText(p))}</${kind}>\n`;
    if (p.logs) out += `      <system-out>${esc(p.logs)}</system-out>\n`;
    out += '    </testcase>\n';
  }
  return `${out}  </testsuite>\n</testsuites>\n`;
}
