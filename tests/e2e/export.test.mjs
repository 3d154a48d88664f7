// Export for docs without JavaScript: the page's "Export SVG" gives the same
// file as `monscope svg` for the timeline's window, and "Export trace" the
// same lines as `monscope run --json`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, newPage, cli, root, url } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function download(page, testid) {
  const t0 = Date.now();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).click()]);
  const ms = Date.now() - t0;
  return { name: dl.suggestedFilename(), text: readFileSync(await dl.path(), 'utf8'), ms };
}

test('Export SVG and Export trace give what the CLI gives', async () => {
  const page = await newPage(browser.context);
  await page.goto(new URL('?scenario=leader-failover', url).href);
  const area = page.getByTestId('timeline-area');
  await area.waitFor();
  // A window around the failover.
  await page.getByTestId('scrubber').fill('39500000');
  // The timeline opens on the whole story: zoom in around the playhead.
  for (let i = 0; i < 3; i++) await page.getByTestId('zoom-in').click();
  const from = Number(await area.getAttribute('data-win-start'));
  const span = Number(await area.getAttribute('data-win-span'));
  assert.ok(from > 30_000_000, `window starts at ${from}`);
  const file = join(root, 'scenarios', 'leader-failover.mon');

  const svg = await download(page, 'export-svg');
  assert.equal(svg.name, 'Leader-failure-and-lease-timeouts.svg');
  const want = cli('svg', file, '--from', `${from}us`, '--to', `${from + span}us`);
  assert.equal(svg.text, want, 'the page and `monscope svg` draw the same window');
  assert.match(svg.text, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);

  const trace = await download(page, 'export-json');
  assert.equal(trace.name, 'Leader-failure-and-lease-timeouts.trace.jsonl');
  assert.equal(trace.text, cli('run', file, '--json'), 'the page and `monscope run --json` give the same trace');
  const first = JSON.parse(trace.text.split('\n')[0]);
  assert.equal(first.at, 0);
  // One exporting worker, started as the pointer came and kept (src/trace_export.rs).
  const again = await download(page, 'export-svg');
  assert.equal(again.text, svg.text);
  const workers = page.workers().filter((w) => w.url().endsWith('import-worker.js'));
  assert.equal(workers.length, 1, 'the exporting worker is kept');
  console.log(`click to download (ms): Export SVG ${svg.ms}, Export trace ${trace.ms}, Export SVG again ${again.ms}`);
  assert.deepEqual(page.errors, []);
  await page.close();
});
