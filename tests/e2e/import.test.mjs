// The Import page: real ceph-mon logs (tests/fixtures/logs/failover) picked
// in the page are read in a Web Worker with the monscope-import wasm and give
// what `monscope import` prints for them; the diagram has the matched
// messages as arrows; the inferred scenario's link opens it in the
// playground; the downloaded trace opens there as the "imported from logs"
// band; "Open in the playground" shows the history there (ring, seek,
// inspector from the logs); a window shared as a link opens to the same history; a file that is
// no log says so; the playground fetches the import module only to read
// that history (#imported) and for its exports; a stored history that is
// damaged is a clear error there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newPage, cli, url, screenshots, seek } from './harness.mjs';

const DIR = new URL('../fixtures/logs/failover/', import.meta.url).pathname;
const LOGS = ['a', 'b', 'c'].map((m) => join(DIR, `mon.${m}.log`));

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function openImport() {
  const page = await newPage(browser.context);
  await page.goto(new URL('import.html', url).href);
  await page.getByTestId('import-pick').waitFor({ state: 'attached' });
  return page;
}

test('picked logs give the report monscope import prints, a diagram with arrows and a scenario link', async () => {
  const page = await openImport();
  const wasm = [];
  page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url()));
  await page.getByTestId('import-pick').setInputFiles(LOGS);
  await page.getByTestId('import-summary').waitFor({ state: 'visible', timeout: 60_000 });
  // The CLI names the files by the paths it was given; the page by file name.
  const expected = cli('import', ...LOGS).replaceAll(DIR, '');
  assert.equal(await page.getByTestId('import-summary').textContent(), expected);
  assert.equal(await page.getByTestId('import-badge').textContent(), 'imported from logs');
  assert.ok(wasm.length === 1 && wasm[0].endsWith('/monscope-import_bg.wasm'), wasm.join(' '));
  // The matched messages are drawn as arrows.
  const arrows = await page.locator('#diagram svg line, #diagram svg path').count();
  assert.ok(arrows > 100, `${arrows} arrows`);
  const scenario = await page.getByTestId('import-scenario').textContent();
  assert.equal(scenario, cli('import', ...LOGS, '--scenario').replaceAll(DIR, ''));
  await page.screenshot({ path: join(screenshots, 'import.png'), fullPage: true });

  // The link opens the inferred scenario in the playground.
  const href = await page.getByTestId('import-open').getAttribute('href');
  const play = await newPage(browser.context);
  await play.goto(new URL(href, url).href);
  await play.getByTestId('real-file').waitFor({ state: 'attached' });
  const text = await play.evaluate(() => document.querySelector('textarea')?.value ?? '');
  assert.ok(text.includes('kill a') && text.includes('revive a'), text);
  // The downloaded trace opens there as the imported band.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-download').click()]);
  const file = join(mkdtempSync(join(tmpdir(), 'monscope-import-e2e-')), 'imported.jsonl');
  await download.saveAs(file);
  await play.getByTestId('real-file').setInputFiles(file);
  await play.getByTestId('real-legend').waitFor({ state: 'visible' });
  assert.match(await play.getByTestId('real-legend').textContent(), /imported from logs/);
});

test('Open in the playground shows the imported history: label, the ring after the failover, seek, the inspector from the logs', async () => {
  const page = await openImport();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.getByTestId('import-pick').setInputFiles(LOGS);
  await page.getByTestId('import-summary').waitFor({ state: 'visible', timeout: 60_000 });
  await page.getByTestId('import-playground').click();
  await page.waitForURL(/#imported$|\/$/);
  await page.getByTestId('cluster').waitFor({ state: 'visible', timeout: 60_000 });
  const banner = page.getByTestId('imported-banner');
  await banner.waitFor({ state: 'visible' });
  // The files and the time range the logs span (the CLI's header).
  const header = JSON.parse(cli('import', ...LOGS, '--json').split('\n')[0]);
  const [day, from] = header.start.slice(0, -1).split('T');
  const to = new Date(Date.parse(header.start) + header.end / 1000).toISOString().slice(11, 23);
  assert.ok((await banner.textContent()).startsWith(
    `imported from logs: mon.a.log, mon.b.log, mon.c.log, ${day} ${from} – ${to} UTC (${header.end / 1e6} s)`),
  await banner.textContent());
  // The whole history is there at once: nothing to simulate.
  assert.equal(await page.getByTestId('scrubber').getAttribute('data-ready'), String(header.end));
  // At 27 s the real run's mon_status said: leader b, quorum b c (a killed at 6 s).
  await seek(page, 27_000_000);
  const mon = (m) => page.getByTestId(`mon-${m}`);
  assert.equal(await mon('b').getAttribute('data-state'), 'leader');
  assert.equal(await mon('c').getAttribute('data-state'), 'peon');
  assert.equal(await mon('a').getAttribute('data-state'), 'down');
  assert.equal(await mon('b').getAttribute('data-epoch'), '8');
  await page.getByTestId('crown-b').waitFor({ state: 'visible' });
  // Seeking back: a led before it was killed; and on, after its return.
  await seek(page, 6_000_000);
  assert.equal(await mon('a').getAttribute('data-state'), 'leader');
  await seek(page, 40_000_000);
  assert.equal(await mon('a').getAttribute('data-state'), 'leader');
  await seek(page, 27_000_000);
  // The inspector says what b's log says, and that it comes from the logs.
  await page.getByTestId('inspect-b').click();
  await page.getByTestId('inspector-from-logs').waitFor({ state: 'visible' });
  assert.match(await page.getByTestId('inspector-from-logs').textContent(), /mon\.b's log \(imported\)/);
  const field = (f) => page.locator(`[data-testid=inspector] dd[data-field="${f}"]`).textContent();
  assert.equal(await field('monitor.state'), 'leader');
  assert.equal(await field('monitor.leader'), 'b');
  assert.equal(await field('monitor.quorum'), 'b c');
  assert.equal(await field('monitor.election_epoch'), '8');
  assert.equal(await field('paxos.last_committed'), await mon('b').getAttribute('data-lc'));
  assert.equal(await page.getByTestId('store').count(), 0);
  await page.screenshot({ path: join(screenshots, 'import-playground.png') });
  // A reload shows the logs again, not the inferred replay, and says nothing
  // of a previous session: it is the same one.
  assert.ok(page.url().endsWith('#imported'), page.url());
  await page.reload();
  await banner.waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(await page.getByTestId('scrubber').getAttribute('data-ready'), String(header.end));
  assert.equal(await page.getByText('Opened the link instead').count(), 0);
  await seek(page, 27_000_000);
  assert.equal(await mon('b').getAttribute('data-state'), 'leader');
  await page.getByTestId('inspect-b').click();
  // Acting on a monitor leaves the logs for a replay of the inferred scenario,
  // and the address no longer says #imported.
  await page.getByRole('button', { name: 'Kill', exact: true }).first().click();
  await banner.waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.querySelector('textarea').value.includes('kill b'));
  await page.getByTestId('mon-b').waitFor({ state: 'visible' });
  await page.waitForFunction(() => location.hash === '');
  assert.deepEqual(errors, []);
});

test('a window shared as a link opens to the same history; the whole minute is too large for one', async () => {
  const page = await openImport();
  await page.getByTestId('import-pick').setInputFiles(LOGS);
  await page.getByTestId('import-summary').waitFor({ state: 'visible', timeout: 60_000 });
  await page.fill('#from', '0');
  await page.fill('#to', '70');
  await page.getByTestId('import-share').click();
  await page.getByTestId('import-share-link').waitFor({ state: 'visible' });
  assert.match(await page.getByTestId('import-share-link').textContent(), /^Too large for a link: /);
  // The failover's election after a's death: b leads b c at epoch 8.
  await page.fill('#from', '10');
  await page.fill('#to', '13');
  await page.getByTestId('import-share').click();
  await page.locator('#window-link').waitFor({ state: 'visible' });
  const href = await page.locator('#window-link').getAttribute('href');
  const opened = await newPage(browser.context);
  await opened.goto(href);
  await opened.getByTestId('import-summary').waitFor({ state: 'visible', timeout: 60_000 });
  const summary = await opened.getByTestId('import-summary').textContent();
  assert.match(summary, /leader b, quorum b c, epoch 8/);
});

test('a damaged history left for the playground is a clear error, and the page works', async () => {
  const page = await newPage(browser.context);
  await page.goto(url);
  await page.evaluate(() => localStorage.setItem('monscope-imported-trace', '{"type":"header"}\nnot json'));
  const wasm = [];
  page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url().split('/').pop()));
  // Only the fragment changes: the page loads itself again to open it (a
  // reload of our own here would race with that one).
  await page.goto(new URL('#imported', url).href);
  await page.getByTestId('link-error').waitFor({ timeout: 30_000 });
  assert.equal(
    await page.getByTestId('link-error-message').innerText(),
    'The imported logs could not be opened: not a trace of imported logs (its first line is not their header)',
  );
  // Read by the Import page's module, which the playground fetched for it.
  assert.ok(wasm.some((w) => w === 'monscope-import_bg.wasm'), wasm.join(' '));
  assert.ok((await page.locator('[data-testid^="mon-"]').count()) >= 3, 'a scenario is shown');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('#imported set after a plain start opens the logs, though the restored session comes late', async () => {
  // Only the fragment changes: the page opens it as a load would. The plain
  // start restores the stored session (the tests above left one in this
  // profile) and its model arrives from a slow simulation worker after the
  // fragment was set: that must not erase the fragment (it did: CI's failure
  // of the test above).
  const page = await newPage(browser.context);
  await page.route(/sim-worker\.js$/, async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await page.goto(url);
  await page.evaluate(() => localStorage.setItem('monscope-imported-trace', '{"type":"header"}\nnot json'));
  await page.goto(new URL('#imported', url).href);
  await page.getByTestId('link-error').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('link-error-message').innerText(), /^The imported logs could not be opened: /);
  await page.close();
});

test('imported logs whose reader cannot load name what failed, and the page works', async () => {
  const page = await newPage(browser.context);
  await page.goto(url);
  await page.evaluate(() => localStorage.setItem('monscope-imported-trace', '{"type":"header"}\n'));
  // As when the site is offline or import-worker.js is missing from it.
  await page.route(/import-worker\.js$/, (route) => route.fulfill({ status: 404, body: '' }));
  await page.goto(new URL('#imported', url).href);
  await page.getByTestId('link-error').waitFor({ timeout: 30_000 });
  assert.equal(
    await page.getByTestId('link-error-message').innerText(),
    "The imported logs could not be opened: the Import page's module (import-worker.js) did not load or stopped (try again: it is started afresh)",
  );
  assert.ok((await page.locator('[data-testid^="mon-"]').count()) >= 3, 'a scenario is shown');
  await page.close();
});

test('a file that is no ceph-mon log says so', async () => {
  const page = await openImport();
  const file = join(mkdtempSync(join(tmpdir(), 'monscope-import-e2e-')), 'notes.txt');
  writeFileSync(file, 'hello\nworld\n');
  await page.getByTestId('import-pick').setInputFiles(file);
  await page.waitForFunction(() => document.getElementById('status').textContent.includes('no ceph-mon log'));
  assert.match(await page.textContent('#status'), /notes\.txt: no line is a Ceph log line/);
  assert.equal(readFileSync(file, 'utf8'), 'hello\nworld\n');
});
