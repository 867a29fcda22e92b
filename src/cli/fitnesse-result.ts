/**
 * A page's result as FitNesse wrote it (the test history XML FitNesse keeps
 * for every page it runs), read into FitNesse's own counts for the page and
 * a breakdown by table.
 *
 * FitNesse keeps no per-table counts; it adds to one page total as it goes.
 * Each table's share is rebuilt from what FitNesse recorded for it, by the
 * rules of its counting (fitnesse.testsystems.slim.tables, 20150814):
 * - every assertion FitNesse verified is in the XML with its outcome; it
 *   counts unless it is an "ok" that does not count (a fixture constructed,
 *   an import done) or a cell of a stopped test ("Test not run");
 * - an exception is one exception, whatever colour its cell (a stop-test
 *   exception is shown as a failure but counted as an exception);
 * - query tables (and subset and ordered ones) and table tables count their
 *   own cells and leave no assertion per cell: their cells are read from the
 *   table as FitNesse coloured it; a table table adds one for its outcome.
 * The page's counts are always FitNesse's. When the tables do not add up to
 * them (a table FitNesse could not parse, a SLIM server that died) the rest
 * is shown as the page's own, never dropped.
 */
export interface Counts {
  right: number;
  wrong: number;
  ignores: number;
  exceptions: number;
}

export interface TableResult extends Counts {
  /** 1-based number of the table among the page's SLIM tables, as FitNesse numbers them (set-up tables included). */
  index: number;
  kind: string;
  fixture: string;
  /** One entry per failed cell: the call or cell, expected and actual; an exception's whole message. */
  failures: string[];
}

export interface PageRun {
  page: string;
  /** FitNesse's counts for the page. */
  counts: Counts;
  tables: TableResult[];
  /** What FitNesse counted outside every table (a bad table, a test system that failed). */
  rest?: TableResult;
  runTimeMs: number;
  /** The page as FitNesse rendered its results (HTML). */
  html: string;
}

export const zero = (): Counts => ({ right: 0, wrong: 0, ignores: 0, exceptions: 0 });
export const failed = (c: Counts): boolean => c.wrong + c.exceptions > 0;
export const addCounts = (to: Counts, c: Counts): void => {
  to.right += c.right;
  to.wrong += c.wrong;
  to.ignores += c.ignores;
  to.exceptions += c.exceptions;
};

const KEY: Record<string, keyof Counts> = { pass: 'right', fail: 'wrong', error: 'exceptions', ignore: 'ignores' };

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
  library: 'library',
};

export const unescapeXml = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');

function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? unescapeXml(m[1]!) : undefined;
}

/** The text a person sees in a piece of FitNesse's HTML. */
export const textOf = (html: string): string =>
  unescapeXml(html.replace(/<br\s*\/?>/g, '\n').replace(/<[^>]*>/g, ''))
    .replace(/[ \t]+/g, ' ')
    .trim();

/** The page's top-level tables, in order (FitNesse's HtmlTableScanner does not look inside a table for more). */
export function topTables(html: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (const m of html.matchAll(/<(\/?)table\b[^>]*>/gi)) {
    if (!m[1]) {
      if (depth++ === 0) start = m.index;
    } else if (depth > 0 && --depth === 0) out.push(html.slice(start, m.index + m[0].length));
  }
  return out;
}

interface Row {
  cls: string;
  cells: string[];
}

/** A table's own rows and cells (not those of tables nested in its cells), with each cell's inner HTML. */
export function rowsOf(table: string): Row[] {
  const rows: Row[] = [];
  let depth = 0;
  let row: Row | undefined;
  let cellStart = -1;
  for (const m of table.matchAll(/<(\/?)(table|tr|td)\b([^>]*)>/gi)) {
    const [whole, close, name] = [m[0], m[1], m[2]!.toLowerCase()];
    if (name === 'table') {
      depth += close ? -1 : 1;
      continue;
    }
    if (depth !== 1) continue;
    if (name === 'tr' && !close) {
      row = { cls: /class="([^"]*)"/.exec(m[3] ?? '')?.[1] ?? '', cells: [] };
      rows.push(row);
    } else if (name === 'td' && !close) cellStart = m.index + whole.length;
    else if (name === 'td' && close && row && cellStart >= 0) {
      row.cells.push(table.slice(cellStart, m.index));
      cellStart = -1;
    }
  }
  return rows;
}

/** FitNesse's SlimTableFactory gives no table (and no number) to these: they only define things. */
function isDefinitionTable(table: string): boolean {
  const first = textOf(rowsOf(table)[0]?.cells[0] ?? '').toLowerCase();
  return (
    first === 'define alias' || first === 'define table type' || first === 'comment' || first.startsWith('comment:')
  );
}

const SPAN = /<span class="(pass|fail|error|ignore)">([\s\S]*?)<\/span>/g;

/** Counts and failed cells of a table that counts its own cells (query, subset, ordered query, table table). */
function cellsOf(table: string): { counts: Counts; failures: string[] } {
  const counts = zero();
  const failures: string[] = [];
  const rows = rowsOf(table);
  const header = rows[1]?.cells.map(textOf) ?? [];
  rows.forEach((row, r) => {
    row.cells.forEach((cell, c) => {
      for (const m of cell.matchAll(SPAN)) {
        const status = m[1]!;
        // The title row holds the construction and the table's own outcome: counted from its assertions.
        if (r === 0) continue;
        // An ignore that counts replaces the cell's text; one after the text is a cell not run.
        if (status === 'ignore' && !cell.trimStart().startsWith('<span class="ignore">')) continue;
        counts[KEY[status]!]++;
        if (status === 'fail' || status === 'error') {
          const actual = /^\s*\[([\s\S]*?)\]\s*<span/.exec(cell)?.[1];
          const said = textOf(m[2]!);
          const where = r <= 1 ? `row ${r + 1}` : `row ${r - 1}${header[c] ? `, ${header[c]}` : ''}`;
          if (said === 'missing' || said === 'surplus') {
            const values = row.cells.map((v, i) => (i === 0 && actual !== undefined ? textOf(actual) : textOf(v)));
            failures.push(`row ${r - 1}: ${said} [${values.join(' | ')}]`);
          } else if (actual !== undefined && said.startsWith('expected ['))
            failures.push(`${where}: ${said.replace(/^expected/, 'expected')} but was [${textOf(actual)}]`);
          else failures.push(`${where}: ${actual !== undefined ? `[${textOf(actual)}] ` : ''}${said}`);
        }
      }
    });
  });
  return { counts, failures };
}

interface Expectation {
  id: string;
  type: string;
  status?: string;
  message?: string;
  actual?: string;
  expected?: string;
}

interface Instruction {
  text: string;
  slimResult: string;
  expectations: Expectation[];
}

function instructionsOf(xml: string): Instruction[] {
  const out: Instruction[] = [];
  for (const m of xml.matchAll(/<instructionResult>([\s\S]*?)<\/instructionResult>/g)) {
    const body = m[1]!;
    out.push({
      text: tag(body, 'instruction') ?? '',
      slimResult: tag(body, 'slimResult') ?? '',
      expectations: [...body.matchAll(/<expectation>([\s\S]*?)<\/expectation>/g)].map((e) => ({
        id: tag(e[1]!, 'instructionId') ?? '',
        type: tag(e[1]!, 'type') ?? '',
        status: tag(e[1]!, 'status')?.trim(),
        message: tag(e[1]!, 'evaluationMessage'),
        actual: tag(e[1]!, 'actual'),
        expected: tag(e[1]!, 'expected'),
      })),
    });
  }
  return out;
}

/** `method(args)` of an instruction, as a failure line names it. */
function callOf(instruction: string): string {
  const method =
    /methodName='([^']+)'/.exec(instruction)?.[1] ??
    (/instruction='make'/.test(instruction) ? /className='([^']+)'/.exec(instruction)?.[1] : undefined) ??
    /instruction='(\w+)'/.exec(instruction)?.[1] ??
    '?';
  const args = (/args=\[([\s\S]*)\]\}$/.exec(instruction)?.[1] ?? '').replace(/\s+/g, ' ').trim();
  return `${method}(${args.length > 80 ? `${args.slice(0, 77)}...` : args})`;
}

/** The full text of exceptions FitNesse shows under their rows (those with no message:<<...>> of their own). */
function exceptionDetails(table: string): string[] {
  return [...table.matchAll(/<tr class="exception-detail[^"]*"><td[^>]*><pre>([\s\S]*?)<\/pre>/g)].map((m) =>
    unescapeXml(m[1]!)
      .replace(/^__EXCEPTION__:((ABORT_SLIM_TEST|ABORT_SLIM_SUITE|IGNORE_SCRIPT_TEST|IGNORE_ALL_TESTS):)?/, '')
      .trim(),
  );
}

/** Reads one page's test history XML (FitNesse's TestXmlFormatter output). */
export function readPageRun(page: string, xml: string): PageRun {
  const countsXml = tag(xml, 'counts') ?? '';
  const n = (name: string): number => Number(tag(countsXml, name) ?? 0);
  const counts: Counts = { right: n('right'), wrong: n('wrong'), ignores: n('ignores'), exceptions: n('exceptions') };
  const html = tag(xml, 'content') ?? '';
  const slimTables = topTables(html).filter((t) => !isDefinitionTable(t));
  const tables = new Map<number, TableResult>();
  const selfCounting = new Set<number>();
  const tableFor = (id: string): TableResult | undefined => {
    const m = /^([A-Za-z]+)_(\d+)_/.exec(id);
    if (!m) return undefined;
    const n = Number(m[2]);
    let t = tables.get(n);
    if (!t) {
      t = { index: n + 1, kind: KIND[m[1]!] ?? m[1]!, fixture: '', ...zero(), failures: [] };
      tables.set(n, t);
    }
    return t;
  };
  const details = new Map<number, string[]>();
  let last: TableResult | undefined;
  for (const ins of instructionsOf(xml)) {
    for (const e of ins.expectations) {
      // A NOOP checks a value an earlier instruction of the same table left in a symbol.
      const t = e.id === 'NOOP' ? last : tableFor(e.id);
      if (!t) continue;
      last = t;
      const className = /instruction='make'.*className='([^']+)'/.exec(ins.text)?.[1];
      if (className && !t.fixture) t.fixture = className;
      if (e.type === 'QueryTableExpectation' || e.type === 'TableTableExpectation') {
        // Its cells below the title are counted from the table; what lands in the title cell is counted here.
        selfCounting.add(t.index - 1);
        if (!e.status) continue;
        if (ins.slimResult === '') {
          t.exceptions++;
          t.failures.push(`${callOf(ins.text)}: ${e.message ?? 'exception'}`);
        } else if (e.type === 'TableTableExpectation' || e.status === 'error') {
          // A table table adds its own outcome once; a query that answered no rows is an error in its title.
          t[KEY[e.status]!]++;
          if (e.message && (e.status === 'error' || e.status === 'fail'))
            t.failures.push(`${callOf(ins.text)}: ${e.message}`);
        }
        continue;
      }
      if (!e.status) continue;
      const call = callOf(ins.text);
      if (ins.slimResult === '') {
        // An exception (FitNesse's testExceptionOccurred): one exception, whatever its cell's colour.
        t.exceptions++;
        if (e.message !== undefined) t.failures.push(`${call}: ${e.message}`);
        else {
          const n = t.index - 1;
          if (!details.has(n)) details.set(n, exceptionDetails(slimTables[n] ?? ''));
          t.failures.push(`${call}: ${details.get(n)!.shift() ?? 'exception (FitNesse showed no text)'}`);
        }
        continue;
      }
      if ((e.type === 'ConstructionExpectation' || e.type === 'ImportExpectation') && e.status === 'pass') continue;
      if (e.status === 'ignore' && e.message === 'Test not run') continue;
      const key = KEY[e.status];
      if (!key) continue;
      t[key]++;
      if (e.status === 'fail' || e.status === 'error') {
        const expected = e.expected ?? '';
        t.failures.push(
          e.actual !== undefined && e.expected !== undefined && e.status === 'fail'
            ? `${call}: expected [${expected}] but was [${e.actual}]`
            : `${call}: ${e.message ?? (e.actual !== undefined ? `[${e.actual}]` : e.status)}`,
        );
      }
    }
  }
  for (const n of selfCounting) {
    const t = tables.get(n)!;
    const cells = cellsOf(slimTables[n] ?? '');
    addCounts(t, cells.counts);
    t.failures.push(...cells.failures);
  }
  // Tables FitNesse could not parse count an exception with no assertion ("Bad table!").
  slimTables.forEach((html, n) => {
    const bad = /<span class="error"><strong>([\s\S]*?Bad table![\s\S]*?)<\/strong><\/span>/.exec(html);
    if (!bad) return;
    const t = tableFor(`table_${n}_0`)!;
    t.exceptions++;
    t.failures.push(textOf(bad[1]!));
  });
  const list = [...tables.values()].sort((a, b) => a.index - b.index);
  for (const t of list) {
    // FitNesse gives subset and ordered query tables a queryTable id: the title says which.
    const title = textOf(rowsOf(slimTables[t.index - 1] ?? '')[0]?.cells[0] ?? '').toLowerCase();
    const said = /^(subset query|ordered query):/.exec(title)?.[1];
    if (said && t.kind === 'query') t.kind = said;
  }
  const sum = zero();
  for (const t of list) addCounts(sum, t);
  const result: PageRun = {
    page,
    counts,
    tables: list,
    runTimeMs: Number(tag(xml, 'runTimeInMillis') ?? 0),
    html,
  };
  const rest: Counts = {
    right: counts.right - sum.right,
    wrong: counts.wrong - sum.wrong,
    ignores: counts.ignores - sum.ignores,
    exceptions: counts.exceptions - sum.exceptions,
  };
  if (rest.right || rest.wrong || rest.ignores || rest.exceptions) {
    const shown = new Set(list.flatMap((t) => t.failures));
    const unplaced = [...html.matchAll(/<span class="(?:error|fail)">([\s\S]*?)<\/span>/g)]
      .map((m) => textOf(m[1]!))
      .filter((s) => s && ![...shown].some((f) => f.includes(s)));
    result.rest = {
      index: 0,
      kind: 'page',
      fixture: '',
      ...rest,
      failures:
        rest.wrong + rest.exceptions > 0
          ? [
              `FitNesse counted ${rest.wrong} wrong and ${rest.exceptions} exceptions outside the page's tables${unplaced.length ? `: ${unplaced.slice(0, 5).join('; ')}` : ''}`,
            ]
          : [],
    };
  }
  return result;
}
