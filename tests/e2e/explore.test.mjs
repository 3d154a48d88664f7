// The Explore page: schedules run in a Web Worker with the monscope-explore
// wasm, and give the CLI's results for the same settings; Stop ends a run at
// once; a failure's link opens its scenario in the playground at the moment
// it goes wrong; the playground does not fetch the explore module.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newPage, cli, url, screenshots } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function openExplore() {
  const page = await newPage(browser.context);
  await page.goto(new URL('explore.html', url).href);
  await page.locator('#start').waitFor({ state: 'visible' });
  return page;
}

/// The CLI's failures for the same settings: [{index, cls, at}] (its summary.txt).
function cliFailures(args) {
  const dir = mkdtempSync(join(tmpdir(), 'monscope-explore-e2e-'));
  try {
    try {
      cli('explore', ...args, '--shrink', '0', '--jobs', '2', '--out', dir);
    } catch (e) {
      // Exit status 1: failures were found (listed in summary.txt).
      if (e.status !== 1) throw e;
    }
    const file = join(dir, 'summary.txt');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const [index, cls, at] = l.split(' ');
        return { index: Number(index), cls, at: Math.round(Number(at.replace(/s$/, '')) * 1e6) };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the page runs schedules in a worker and finds what the CLI finds, each failure linked to the playground', async () => {
  const page = await openExplore();
  const wasm = [];
  page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url()));
  // Without a quiet period a killed monitor is revived at the instant of the
  // checks: failures by construction, whatever the core does.
  await page.fill('#runs', '12');
  await page.fill('#seed', '1');
  await page.selectOption('#mons', '3');
  await page.fill('#quiet', '0');
  await page.click('#start');
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: 180_000 });
  assert.match(await page.textContent('#progress-text'), /^12 \/ 12 schedules/);
  // Only the explore module was fetched, not the playground's.
  assert.ok(wasm.length === 1 && wasm[0].endsWith('/monscope-explore_bg.wasm'), wasm.join(' '));
  const failures = await page.locator('li.failure').evaluateAll((els) =>
    els.map((e) => ({ index: Number(e.dataset.index), cls: e.dataset.class })),
  );
  const expected = cliFailures(['--runs', '12', '--seed', '1', '--mons', '3', '--quiet', '0s']);
  assert.ok(expected.length > 0);
  // The page lists the first five failures of each class and counts them all.
  const seen = {};
  const listed = expected.filter(({ cls }) => (seen[cls] = (seen[cls] || 0) + 1) <= 5);
  assert.deepEqual(failures, listed.map(({ index, cls }) => ({ index, cls })));
  const counts = Object.entries(seen).map(([c, n]) => `${c} ${n}`).join(', ');
  assert.match(await page.textContent('#classes'), new RegExp(`^Failures by class: ${counts} `));
  await page.screenshot({ path: join(screenshots, 'explore.png'), fullPage: true });
  {
    // The first failure was shrunk; its link opens the shrunk scenario in the
    // playground, at the moment it goes wrong.
    const first = page.locator('li.failure').first();
    assert.match(await first.textContent(), /shrunk in \d+ runs/);
    const href = await first.locator('a.open').getAttribute('href');
    const scenario = await first.locator('pre').textContent();
    const at = Number(await first.getAttribute('data-at'));
    assert.equal(cli('decode', new URL(href, url).href), scenario);
    const play = await newPage(browser.context);
    await play.goto(new URL(href, url).href);
    await play.getByTestId('cluster').waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await play.getByTestId('clock').getAttribute('data-t'), String(at));
    assert.equal(await play.getByTestId('editor').inputValue(), scenario);
    assert.deepEqual(play.errors, []);
    await play.close();
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Stop ends a long run at once, and the page answers while the worker runs', async () => {
  const page = await openExplore();
  await page.fill('#runs', '5000');
  await page.click('#start');
  await page.waitForFunction(() => /^[1-9]\d* \//.test(document.getElementById('progress-text').textContent));
  // The main thread is free: a click is handled while schedules run.
  await page.click('#stop');
  await page.waitForFunction(() => document.body.dataset.state === 'stopped');
  const stopped = await page.textContent('#progress-text');
  const done = Number(stopped.split(' ')[0]);
  assert.ok(done > 0 && done < 5000, stopped);
  await page.waitForTimeout(500);
  assert.equal(await page.textContent('#progress-text'), stopped, 'nothing runs after Stop');
  assert.equal(await page.isEnabled('#start'), true);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the playground links to the Explore page', async () => {
  const page = await newPage(browser.context);
  await page.goto(url);
  const link = page.getByTestId('explore-link');
  await link.waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(new URL(await link.getAttribute('href'), url).href, new URL('explore.html', url).href);
  assert.deepEqual(page.errors, []);
  await page.close();
});
