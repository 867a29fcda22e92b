/**
 * A FitNesse wiki on disk read by FitNesse's own rules (release 20150814:
 * FileSystemPage, WikiPageProperties, PageType, SuiteContentsFinder,
 * SuiteFilter), so that `roc fitnesse` picks, orders, filters and shares out
 * exactly the test pages FitNesse itself would run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { named, RocError } from '../wire/errors.js';

export class FitnesseSetupError extends RocError {
  static {
    named(this, 'FitnesseSetupError');
  }
}

/** A page's properties as FitNesse reads properties.xml: an element present is an attribute set, whatever its text. */
export interface PageProperties {
  test: boolean;
  suite: boolean;
  prune: boolean;
  /** The page's tags (FitNesse's Suites property), as written. */
  tags: string[];
  /** Symbolic links: child name to the path it points at. */
  links: Map<string, string>;
}

const SUITE_SETUP = 'SuiteSetUp';
const SUITE_TEARDOWN = 'SuiteTearDown';

/** PageType.getPageTypeForPageName: the type a page without properties.xml gets from its name. */
function typeFromName(name: string): 'suite' | 'test' | 'static' {
  if ((name.startsWith('Suite') && name !== SUITE_SETUP && name !== SUITE_TEARDOWN) || name.endsWith('Suite'))
    return 'suite';
  if (name.endsWith('Examples')) return 'suite';
  if (name.startsWith('Test') || name.endsWith('Test') || name.endsWith('Example')) return 'test';
  if (name.startsWith('Example') && !name.startsWith('Examples')) return 'test';
  return 'static';
}

/** The element's text, unescaped, or undefined when the element is absent. */
function element(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}(\\s[^>]*)?(/>|>([\\s\\S]*?)</${name}>)`).exec(xml);
  if (!m) return undefined;
  const value = /\svalue="([^"]*)"/.exec(m[1] ?? '')?.[1];
  return (value ?? m[3] ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim();
}

export function readProperties(dir: string, name: string): PageProperties {
  const file = join(dir, 'properties.xml');
  if (!existsSync(file)) {
    const type = typeFromName(name);
    return { test: type === 'test', suite: type === 'suite', prune: false, tags: [], links: new Map() };
  }
  const xml = readFileSync(file, 'utf8');
  const links = new Map<string, string>();
  const block = /<SymbolicLinks>([\s\S]*?)<\/SymbolicLinks>/.exec(xml)?.[1] ?? '';
  for (const m of block.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) links.set(m[1]!, m[2]!.trim());
  const tags = element(xml, 'Suites');
  return {
    test: element(xml, 'Test') !== undefined,
    suite: element(xml, 'Suite') !== undefined,
    prune: element(xml, 'Prune') !== undefined,
    tags: tags ? tags.split(/\s*,\s*/).filter(Boolean) : [],
    links,
  };
}

/** A page of the wiki: its full dotted name and the folder that holds it (a symbolic link's target for linked pages). */
export interface WikiPage {
  name: string;
  dir: string;
  props: PageProperties;
}

const isPage = (dir: string): boolean =>
  existsSync(join(dir, 'content.txt')) || existsSync(join(dir, 'properties.xml'));

export class Wiki {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  dirOf(name: string): string {
    return join(this.root, ...name.split('.'));
  }

  page(name: string): WikiPage | undefined {
    const dir = this.dirOf(name);
    if (!existsSync(dir) || !statSync(dir).isDirectory() || !isPage(dir)) return undefined;
    return { name, dir, props: readProperties(dir, name.split('.').pop()!) };
  }

  /** A wiki path as FitNesse resolves a symbolic link or a !see from `from`: .Absolute, <Ancestor.Path, >Child, Sibling. */
  resolve(from: string, path: string): WikiPage | undefined {
    if (path.startsWith('.')) return this.page(path.slice(1));
    if (path.startsWith('>')) return this.page(`${from}.${path.slice(1)}`);
    const parts = from.split('.');
    if (path.startsWith('<')) {
      const [first, ...rest] = path.slice(1).split('.');
      for (let i = parts.length - 1; i >= 0; i--)
        if (parts[i] === first) return this.page([...parts.slice(0, i + 1), ...rest].join('.'));
      return undefined;
    }
    parts.pop();
    return this.page([...parts, path].filter(Boolean).join('.'));
  }

  /** A page's children: its sub-folders that are pages, then its symbolic links, each under its link name. */
  children(page: WikiPage): WikiPage[] {
    const out: WikiPage[] = [];
    for (const entry of readdirSync(page.dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !/^[A-Z]/.test(entry.name)) continue;
      const dir = join(page.dir, entry.name);
      if (isPage(dir)) out.push({ name: `${page.name}.${entry.name}`, dir, props: readProperties(dir, entry.name) });
    }
    for (const [linkName, target] of page.props.links) {
      if (target.startsWith('file:')) continue; // links to folders outside the wiki: FitNesse's own business
      const to = this.resolve(page.name, target);
      if (to) out.push({ name: `${page.name}.${linkName}`, dir: to.dir, props: to.props });
    }
    return out;
  }

  /** Pages named by `!see` on a page, resolved from the page's parent, as FitNesse's cross-references. */
  seeAlso(page: WikiPage): WikiPage[] {
    const file = join(page.dir, 'content.txt');
    if (!existsSync(file)) return [];
    const out: WikiPage[] = [];
    for (const m of readFileSync(file, 'utf8').matchAll(/^!see\s+(\S+)/gm)) {
      const to = this.resolve(page.name, m[1]!);
      if (to) out.push(to);
    }
    return out;
  }
}

/** FitNesse's suiteFilter (any of these tags) and excludeSuiteFilter (none of these). */
export interface TagFilter {
  tags?: readonly string[];
  excludeTags?: readonly string[];
}

const hasTag = (page: WikiPage, tags: readonly string[]): boolean =>
  page.props.tags.some((t) => tags.some((q) => q.trim().toLowerCase() === t.trim().toLowerCase()));

/** FitNesse's WikiPagePath.compareTo: the names joined with nothing between them, compared as Java strings. */
function byFullPath(a: string, b: string): number {
  const x = a.split('.').join('');
  const y = b.split('.').join('');
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The test pages FitNesse runs for `suite` (SuiteContentsFinder + SuiteFilter):
 * the page itself if it is a test, every test page under it whose parents are
 * not pruned, sorted by full path, then the pages its suites cross-reference
 * with !see. A suite tagged with a wanted tag takes all its tests; an excluded
 * tag on a suite drops everything under it.
 */
export function testPages(wiki: Wiki, suite: string, filter: TagFilter = {}): string[] {
  const top = wiki.page(suite);
  if (!top) throw new FitnesseSetupError(`no page ${suite}: ${wiki.dirOf(suite)} has no content.txt`);
  const wanted = filter.tags?.length ? filter.tags : undefined;
  const excluded = filter.excludeTags?.length ? filter.excludeTags : undefined;
  const found: string[] = [];
  const walk = (page: WikiPage, want: readonly string[] | undefined, isTop: boolean, ancestors: Set<string>): void => {
    if (ancestors.has(page.dir)) return; // a symbolic link back up the tree
    const include = isTop || !page.props.prune;
    const name = page.name.split('.').pop()!;
    const matches =
      page.props.test &&
      name !== SUITE_SETUP &&
      name !== SUITE_TEARDOWN &&
      (!want || hasTag(page, want)) &&
      !(excluded && hasTag(page, excluded));
    if (matches && include) found.push(page.name);
    if (!include) return;
    if (excluded && hasTag(page, excluded)) return;
    const forChildren = want && page.props.suite && hasTag(page, want) ? undefined : want;
    const below = new Set(ancestors).add(page.dir);
    for (const child of wiki.children(page)) walk(child, forChildren, false, below);
  };
  walk(top, wanted, true, new Set());
  found.sort(byFullPath);
  const xrefs: string[] = [];
  const gather = (page: WikiPage, seen: Set<string>): void => {
    if (seen.has(page.dir)) return;
    for (const see of wiki.seeAlso(page)) xrefs.push(see.name);
    const next = new Set(seen).add(page.dir);
    for (const child of wiki.children(page)) gather(child, next);
  };
  gather(top, new Set());
  return [...found, ...xrefs];
}

/** `2/3` as FitNesse users write it in a CI matrix: the second of three shares, 1-based. */
export interface Partition {
  index: number;
  count: number;
}

export function parsePartition(text: string): Partition {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new FitnesseSetupError(
      `--partition takes i/n with 1 <= i <= n (the i-th of n shares, e.g. 2/3), got ${JSON.stringify(text)}`,
    );
  return { index, count };
}

/**
 * The share a page belongs to: a hash of its full name alone, so a page stays
 * in its share whatever pages are added or removed beside it, and n machines
 * given 1/n .. n/n run every page exactly once.
 */
export function shareOf(page: string, count: number): number {
  const h = createHash('sha256').update(page).digest();
  return (h.readUInt32BE(0) % count) + 1;
}

export const inPartition = (page: string, p: Partition): boolean => shareOf(page, p.count) === p.index;

/**
 * In a copy of the wiki, makes every test page under `suite` that is not in
 * `keep` an ordinary page (its Test property removed), so FitNesse's own suite
 * run (SuiteSetUp and SuiteTearDown once, one SLIM server) runs just the kept
 * pages, in its own order.
 */
export function keepOnly(wiki: Wiki, suite: string, keep: ReadonlySet<string>): void {
  const visit = (page: WikiPage, seen: Set<string>): void => {
    if (seen.has(page.dir)) return;
    if (page.props.test && !keep.has(page.name) && !page.name.endsWith(`.${SUITE_SETUP}`))
      writeFileSync(join(page.dir, 'properties.xml'), withoutTest(page));
    const next = new Set(seen).add(page.dir);
    for (const child of wiki.children(page)) visit(child, next);
  };
  const top = wiki.page(suite);
  if (top) visit(top, new Set());
}

function withoutTest(page: WikiPage): string {
  const file = join(page.dir, 'properties.xml');
  if (!existsSync(file)) {
    // The page was a test by its name; an explicit properties file keeps what the name gave, less Test.
    return `<?xml version="1.0"?>\n<properties>${page.props.suite ? '\n\t<Suite/>' : ''}\n</properties>\n`;
  }
  return readFileSync(file, 'utf8').replace(/<Test(\s[^>]*)?(\/>|>[\s\S]*?<\/Test>)/g, '');
}
