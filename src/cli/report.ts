/** Per-table results of a FitNesse page (from its format=xml output), and a JUnit report of them. */
export interface TableResult {
  page: string;
  /** 1-based table number on the page, as FitNesse counts them (set-up tables included). */
  index: number;
  kind: string;
  fixture: string;
  right: number;
  wrong: number;
  exceptions: number;
  ignored: number;
  /** One line per failed cell: the call, expected and actual. */
  failures: string[];
  /** The guests' last log lines, read after the page failed. */
  logs?: string;
}

const unescape = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
const tag = (xml: string, name: string): string | undefined => {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? unescape(m[1]!.trim()) : undefined;
};

const KIND: Record<string, string> = {
  scriptTable: 'script',
  decisionTable: 'decision',
  queryTable: 'query',
  subsetQueryTable: 'subset query',
  orderedQueryTable: 'ordered query',
  tableTable: 'table',
  import: 'import',
  scenarioTable: 'scenario',
  dynamicDecisionTable: 'dynamic decision',
};

/** The first line of an exception answer, without SLIM's tags: `StopTestException: This is a stop test exception`. */
function exceptionLine(result: string): string {
  return result
    .replace(/^__EXCEPTION__:((ABORT_SLIM_TEST|ABORT_SLIM_SUITE|IGNORE_SCRIPT_TEST|IGNORE_ALL_TESTS):)?/, '')
    .split('\n')[0]!
    .trim();
}

/** Groups a page's expectations by table (instruction ids look like scriptTable_2_3). */
export function tablesOf(page: string, xml: string): TableResult[] {
  const tables = new Map<string, TableResult>();
  // An exception with no cell message is shown in a detail row under its row; the XML has no other copy of it.
  const details = [
    ...unescape(tag(xml, 'content') ?? '').matchAll(
      /<tr class="exception-detail[^"]*"><td[^>]*><pre>([\s\S]*?)<\/pre>/g,
    ),
  ].map((m) => exceptionLine(unescape(m[1]!)));
  for (const m of xml.matchAll(/<instructionResult>([\s\S]*?)<\/instructionResult>/g)) {
    const body = m[1]!;
    const instruction = tag(body, 'instruction') ?? '';
    const id = /id='([^']+)'/.exec(instruction)?.[1] ?? '';
    const tm = /^(.*?)_(\d+)_\d+$/.exec(id);
    if (!tm) continue;
    const key = `${tm[1]}_${tm[2]}`;
    let t = tables.get(key);
    if (!t) {
      t = {
        page,
        index: Number(tm[2]) + 1,
        kind: KIND[tm[1]!] ?? tm[1]!,
        fixture: '',
        right: 0,
        wrong: 0,
        exceptions: 0,
        ignored: 0,
        failures: [],
      };
      tables.set(key, t);
    }
    const className = /className='([^']+)'/.exec(instruction)?.[1];
    if (className && !t.fixture) t.fixture = className;
    for (const e of body.matchAll(/<expectation>([\s\S]*?)<\/expectation>/g)) {
      const status = tag(e[1]!, 'status');
      if (status === 'pass') t.right++;
      else if (status === 'fail') t.wrong++;
      else if (status === 'error') t.exceptions++;
      else if (status === 'ignore') t.ignored++;
      if (status === 'fail' || status === 'error') {
        const method =
          /methodName='([^']+)'/.exec(instruction)?.[1] ?? /instruction='(\w+)'/.exec(instruction)?.[1] ?? '?';
        const args = /args=\[(.*)\]\}$/.exec(instruction)?.[1] ?? '';
        const expected = tag(e[1]!, 'expected');
        const actual = tag(e[1]!, 'actual');
        const message =
          tag(e[1]!, 'evaluationMessage') || exceptionLine(tag(body, 'slimResult') ?? '') || details.shift() || '';
        t.failures.push(
          `${method}(${args}): ${expected !== undefined ? `expected [${expected}] but was [${actual}]` : message}`,
        );
      }
    }
  }
  return [...tables.values()].sort((a, b) => a.index - b.index);
}

/** A page's own counts (its <result><counts>), or undefined when FitNesse printed no result. */
export function pageCounts(
  xml: string,
): { right: number; wrong: number; ignores: number; exceptions: number } | undefined {
  const counts = tag(xml, 'counts');
  if (counts === undefined) return undefined;
  const n = (name: string): number => Number(tag(counts, name) ?? 0);
  return { right: n('right'), wrong: n('wrong'), ignores: n('ignores'), exceptions: n('exceptions') };
}

/** The start of a page's rendered text, for a page that failed outside its tables. */
export function pageText(xml: string, max = 300): string {
  return (
    tag(xml, 'content')
      ?.replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, max) ?? ''
  );
}

/** `1 page`, `3 pages`. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function tableName(t: TableResult): string {
  return `table ${t.index} (${t.kind}${t.fixture ? `: ${t.fixture}` : ''})`;
}

/** JUnit XML: a test suite per page, a test case per table. */
export function junit(suite: string, tables: readonly TableResult[], seconds: number): string {
  const pages = [...new Set(tables.map((t) => t.page))];
  const failed = tables.filter((t) => t.wrong + t.exceptions > 0).length;
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${esc(suite)}" tests="${tables.length}" failures="${failed}" time="${seconds.toFixed(3)}">\n`;
  for (const page of pages) {
    const ts = tables.filter((t) => t.page === page);
    out += `  <testsuite name="${esc(page)}" tests="${ts.length}" failures="${ts.filter((t) => t.wrong + t.exceptions > 0).length}">\n`;
    for (const t of ts) {
      out += `    <testcase classname="${esc(page)}" name="${esc(tableName(t))}">`;
      if (t.wrong + t.exceptions > 0) {
        out += `\n      <failure message="${esc(`${page}, ${tableName(t)}: ${t.failures[0] ?? 'failed'}`)}">${esc(t.failures.join('\n'))}</failure>\n    `;
        if (t.logs) out += `  <system-out>${esc(t.logs)}</system-out>\n    `;
      }
      out += '</testcase>\n';
    }
    out += '  </testsuite>\n';
  }
  return `${out}</testsuites>\n`;
}
