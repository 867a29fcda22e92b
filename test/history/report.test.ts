/**
 * The run report in a real browser: Debian's chromium driven by
 * playwright-core (no browser is downloaded). ROC_SCREENSHOT=<file> also
 * saves a screenshot of the report (the README's picture comes from here).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { check, models, writeReport, type HistoryEvent } from '../../src/history/index.js';
import { generate } from './generate.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const why = CHROMIUM ? false : 'no chromium on this machine (Debian package chromium; .ci/run installs it)';
if (why) console.log(`# SKIP the run report in a browser: ${why}`);

let browser: Browser;
let dir: string;

before(async () => {
  if (why) return;
  dir = mkdtempSync(join(tmpdir(), 'roc-report-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking'],
  });
});
after(async () => {
  await browser?.close();
});

/** Opens a report; every console error or page error fails the test. */
async function open(file: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(
    () => (globalThis as unknown as { rocReport?: { ready: boolean } }).rocReport?.ready === true,
    null,
    {
      timeout: 30_000,
    },
  );
  return { page, errors };
}

test(
  'the report: a lane per process, the fault windows, a hovered operation says what it was',
  { skip: why, timeout: 120_000 },
  async () => {
    // Steps of a millisecond or so, as a test against a real system would see them.
    const events: HistoryEvent[] = generate({ ops: 300, processes: 6, infoRate: 0.05, seed: 5 }).map((e) => ({
      ...e,
      time: e.time * 1e6,
    }));
    // A stale read at the end: the report shows the operation that cannot be placed.
    let time = events.at(-1)!.time + 10e6;
    for (const [f, value, out] of [
      ['write', 100, 100],
      ['write', 101, 101],
      ['read', null, 100],
    ] as const) {
      events.push({ process: 'tail', type: 'invoke', f, value, time: (time += 1e6) });
      events.push({ process: 'tail', type: 'ok', f, value: out, time: (time += 2e6) });
    }
    const result = await check(events, models.casRegister());
    assert.equal(result.valid, false);
    const t0 = events[0]!.time;
    // The clocks' origin: epoch ms 1,000,000 is the history's first event; faults at +100 and +200 ms of it.
    const origin = { wallMs: 1_000_000, ns: t0 };
    const file = writeReport(
      {
        history: { events, origin },
        faults: [
          { kind: 'partition', description: 'partition n1 | n2, n3', startedAt: 1_000_100, healedAt: 1_000_180 },
          { kind: 'pause', description: 'pause kv-node on n2', startedAt: 1_000_200 },
        ],
        result,
        title: 'a stale read',
      },
      join(dir, 'report.html'),
    );
    const { page, errors } = await open(file);
    const processes = new Set(events.map((e) => String(e.process))).size;
    assert.equal(await page.locator('.lane-label').count(), processes);
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { rocReport: { lanes: number } }).rocReport.lanes),
      processes,
    );
    assert.equal(await page.locator('.fault').count(), 2);
    assert.match(await page.locator('.fault').first().innerText(), /partition n1 \| n2, n3 \(100\.0 ms to 180\.0 ms\)/);
    assert.match(
      await page.locator('#summary').innerText(),
      /not linearizable as cas-register, \d+ operations, checked in \d+ ms; cannot be placed: tail read null -> 100/,
    );
    // Hover the operation that cannot be placed.
    const culprit = await page.evaluate(() => {
      const r = (globalThis as unknown as { rocReport: { rows(): number } }).rocReport;
      return r.rows() - 1;
    });
    const point = await page.evaluate(
      (i) =>
        (globalThis as unknown as { rocReport: { pointOf(i: number): { x: number; y: number } } }).rocReport.pointOf(i),
      culprit,
    );
    await page.mouse.move(point.x, point.y);
    const tip = await page.locator('#tip').innerText();
    assert.match(
      tip,
      /^process tail\nread null -> 100\nok \(cannot be placed\)\ninvoked [\d.]+ ms, completed [\d.]+ ms \(2\.000 ms\)$/,
    );
    if (process.env.ROC_SCREENSHOT) await page.screenshot({ path: process.env.ROC_SCREENSHOT, fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  },
);

test(
  '100,000 operations load without freezing the page, and only what is in view is drawn',
  { skip: why, timeout: 180_000 },
  async () => {
    const events = generate({ ops: 100_000, processes: 10, infoRate: 0.01, seed: 9 });
    const file = writeReport({ history: events, title: '100,000 operations' }, join(dir, 'big.html'));
    const { page, errors } = await open(file);
    const total = await page.evaluate(
      () => (globalThis as unknown as { rocReport: { operations: number } }).rocReport.operations,
    );
    assert.ok(total >= 100_000 * 0.9, `${total} rows`);
    // Zoom in around the middle: far fewer bars are drawn than there are operations.
    const box = (await page.locator('#timeline').boundingBox())!;
    // Near the top: the canvas is as tall as its lanes (a crashed process's successor gets a lane of its own).
    await page.mouse.move(box.x + box.width / 2, box.y + 40);
    for (let i = 0; i < 25; i++) await page.mouse.wheel(0, -100);
    const drawn = await page.evaluate(() =>
      (globalThis as unknown as { rocReport: { drawn(): number } }).rocReport.drawn(),
    );
    const view = await page.evaluate(() =>
      (globalThis as unknown as { rocReport: { view(): number[] } }).rocReport.view(),
    );
    assert.ok(drawn > 0 && drawn < total / 20, `drawn ${drawn} of ${total} (view ${view.join(' to ')} ms)`);
    // The page still answers: a hover shows a tooltip at once.
    await page.mouse.move(box.x + box.width / 2 + 3, box.y + 12);
    assert.ok(
      await page.evaluate(
        () => (globalThis as unknown as { document: { readyState: string } }).document.readyState === 'complete',
      ),
    );
    assert.deepEqual(errors, []);
    await page.close();
  },
);
