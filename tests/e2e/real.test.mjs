// End-to-end: a real run next to the simulated one. The fixture
// real-leader-killed.jsonl is what `monscope real
// tests/e2e/fixtures/real-leader-killed.mon --json` wrote on ceph-mon 16.2.15;
// the page runs the same text and draws the real states as a band on each
// monitor's lane, labelled with the daemon that produced them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { here, url, launch, newPage, cli, screenshots } from './harness.mjs';

const fixtures = join(here, 'fixtures');
const MON = join(fixtures, 'real-leader-killed.mon');
const TRACE = join(fixtures, 'real-leader-killed.jsonl');

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function openScenario() {
  const page = await newPage(browser.context);
  await page.goto(cli('link', MON, '--base', url).trim());
  await page.getByTestId('cluster').waitFor({ state: 'visible', timeout: 60_000 });
  // The whole run in the window.
  await page.getByTestId('fit-run').click();
  return page;
}

/// The states drawn in `mon`'s real band, in order.
async function bandStates(page, mon) {
  return page
    .locator(`[data-testid="real-band"][data-mon="${mon}"] rect`)
    .evaluateAll((rects) => rects.map((r) => r.getAttribute('data-state')));
}

test('a real trace opens as a labelled band on each monitor lane', async () => {
  const page = await openScenario();
  assert.equal(await page.getByTestId('real-band').count(), 0, 'no band before a trace is opened');
  await page.getByTestId('real-file').setInputFiles(TRACE);
  await page.getByTestId('real-legend').waitFor({ state: 'visible', timeout: 10_000 });

  const source = JSON.parse(readFileSync(TRACE, 'utf8').split('\n')[0]).source;
  assert.match(source, /^real ceph-mon 16\.2\./);
  const legend = await page.getByTestId('real-legend').innerText();
  assert.ok(legend.includes(source) && legend.includes('real-leader-killed.jsonl'), legend);

  const mons = await page.getByTestId('real-band').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-mon')));
  assert.deepEqual(mons, ['a', 'b', 'c']);
  const labels = await page.getByTestId('real-band-label').allTextContents();
  assert.deepEqual(labels.map((l) => l.trim()), [source, source, source]);

  // What the daemon did: a led, was killed; b took over and c followed it.
  const a = await bandStates(page, 'a');
  assert.ok(a.includes('leader'), `a's band: ${a}`);
  assert.equal(a.at(-1), 'down', `a's band: ${a}`);
  const b = await bandStates(page, 'b');
  assert.equal(b.at(-1), 'leader', `b's band: ${b}`);
  assert.equal((await bandStates(page, 'c')).at(-1), 'peon');

  await page.getByTestId('timeline').screenshot({ path: join(screenshots, 'real-band.png') });
  assert.deepEqual(page.errors, []);

  await page.getByTestId('real-close').click();
  assert.equal(await page.getByTestId('real-band').count(), 0, 'closing the trace removes its bands');
  await page.close();
});

test('a file that is not a real trace is a clear error and draws nothing', async () => {
  const page = await openScenario();
  await page.getByTestId('real-file').setInputFiles(MON);
  const notice = page.getByTestId('action-error');
  await notice.waitFor({ state: 'visible', timeout: 10_000 });
  const text = await notice.innerText();
  assert.ok(text.includes('Opening a real trace failed') && text.includes('real-leader-killed.mon'), text);
  assert.equal(await page.getByTestId('real-band').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});
