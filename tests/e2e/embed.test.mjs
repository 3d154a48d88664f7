// Embed mode and its postMessage API, through static/embed-demo.html (an
// article that embeds two scenarios) and direct ?embed=1 pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, newPage, cli, cliState, root, url, screenshots } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const clockOf = async (frame) => Number(await frame.getByTestId('embed-clock').getAttribute('data-t'));

/// Opens the demo page with a recorder of what each embed posts to it.
async function openDemo() {
  const page = await newPage(browser.context);
  await page.addInitScript(() => {
    window.heard = { failover: [], netsplit: [] };
    window.addEventListener('message', (e) => {
      for (const id of ['failover', 'netsplit']) {
        const f = document.getElementById(id);
        if (f && e.source === f.contentWindow) window.heard[id].push(e.data);
      }
    });
  });
  await page.goto(new URL('embed-demo.html', url).href);
  const frames = {
    failover: page.frameLocator('#failover'),
    netsplit: page.frameLocator('#netsplit'),
  };
  for (const f of Object.values(frames)) {
    await f.getByTestId('embed').waitFor({ state: 'attached', timeout: 60_000 });
  }
  return { page, frames };
}

test('the demo page embeds two scenarios and drives one with postMessage', async () => {
  const { page, frames } = await openDemo();
  assert.equal(await page.locator('iframe').count(), 2);
  const { failover } = frames;
  // t=25 in its URL; ready came first.
  assert.equal(await clockOf(failover), 25_000_000);
  await page.waitForFunction(() => window.heard.failover.some((m) => m.type === 'state'));
  const heard = await page.evaluate(() => window.heard.failover);
  assert.equal(heard[0].type, 'ready');
  assert.equal(heard[0].title, 'Leader failure and lease timeouts');
  assert.ok(heard[0].end > 100, `end ${heard[0].end}`);
  await page.screenshot({ path: join(screenshots, 'embed-demo.png') });

  // A button in the text seeks the embed (postMessage seek) to its moment.
  const button = page.getByRole('button', { name: 'just after it' });
  const t = Number(await button.getAttribute('data-seek'));
  assert.ok(t > 25, `the button seeks to ${t}`);
  await button.click();
  await page.waitForFunction(
    (v) => document.getElementById('failover').contentDocument.querySelector('[data-testid=embed-clock]').getAttribute('data-t') === String(v),
    Math.round(t * 1e6),
  );
  // The readout comes from the embed's state message: as the CLI reports it.
  const want = cliState(join(root, 'scenarios', 'leader-failover.mon'), `${t}s`);
  const mons = Object.keys(want.mons).map((n) => `${n} ${want.mons[n].state}`).join(' · ');
  const readout = `leader ${want.leader}, quorum ${want.quorum.join(' ')}, epoch ${want.epoch} — ${mons}`;
  await page.waitForFunction((r) => document.getElementById('failover-state').textContent === r, readout);
  const last = (await page.evaluate(() => window.heard.failover)).filter((m) => m.type === 'state').pop();
  assert.deepEqual(last, {
    type: 'state',
    leader: want.leader,
    quorum: want.quorum,
    epoch: want.epoch,
    mons: Object.fromEntries(Object.entries(want.mons).map(([n, m]) => [n, m.state])),
  });
  assert.ok((await page.evaluate(() => window.heard.failover)).some((m) => m.type === 'time' && m.t === t));

  // play, then pause.
  const play = page.getByRole('button', { name: 'play from the lease timeout' });
  const from = Number(await play.getAttribute('data-seek'));
  await play.click();
  // It plays once it is in view (the button is further down the text).
  await page.locator('#failover').scrollIntoViewIfNeeded();
  await failover.locator('[data-playing="true"]').waitFor();
  await page.waitForTimeout(500);
  assert.ok((await clockOf(failover)) > from * 1e6);
  await page.getByRole('button', { name: 'pause', exact: true }).click();
  await failover.locator('[data-playing="false"]').waitFor();
  const paused = await clockOf(failover);
  await page.waitForTimeout(400);
  assert.equal(await clockOf(failover), paused, 'it moved after pause');
  assert.ok((await page.evaluate(() => window.heard.failover)).some((m) => m.type === 'note' && typeof m.text === 'string'));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('an embed outside the viewport does not run until it is scrolled into view', async () => {
  const { page, frames } = await openDemo();
  const { netsplit } = frames;
  const box = await page.locator('#netsplit').boundingBox();
  assert.ok(box.y > 950, `the second embed is in the first screen (y=${box.y})`);
  // autoplay=1, but out of view: nothing runs.
  await page.waitForTimeout(1500);
  assert.equal(await netsplit.getByTestId('embed').getAttribute('data-visible'), 'false');
  assert.equal(await netsplit.getByTestId('embed').getAttribute('data-playing'), 'false');
  assert.equal(await clockOf(netsplit), 0);
  // In view: it starts by itself.
  await page.locator('#netsplit').scrollIntoViewIfNeeded();
  await netsplit.locator('[data-playing="true"]').waitFor({ timeout: 10_000 });
  await page.waitForTimeout(600);
  const t = await clockOf(netsplit);
  assert.ok(t > 0, 'it did not run in view');
  await page.screenshot({ path: join(screenshots, 'embed-demo-netsplit.png') });
  // Scrolled away: it pauses, and stays put.
  await page.evaluate(() => window.scrollTo(0, 0));
  await netsplit.locator('[data-playing="false"]').waitFor({ timeout: 10_000 });
  const stopped = await clockOf(netsplit);
  await page.waitForTimeout(500);
  assert.equal(await clockOf(netsplit), stopped);
  // A hidden page pauses too (visibilitychange), and resumes when shown.
  await page.locator('#netsplit').scrollIntoViewIfNeeded();
  await netsplit.locator('[data-playing="true"]').waitFor({ timeout: 10_000 });
  const frame = page.frames().find((f) => f.url().includes('theme=dark'));
  await frame.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await netsplit.locator('[data-playing="false"]').waitFor({ timeout: 10_000 });
  await frame.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await netsplit.locator('[data-playing="true"]').waitFor({ timeout: 10_000 });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('load, and malformed messages are ignored with a warning', async () => {
  const { page, frames } = await openDemo();
  const { failover } = frames;
  const post = (m) => page.evaluate((m) => document.getElementById('failover').contentWindow.postMessage(m, '*'), m);
  await page.waitForFunction(() => window.heard.failover.length > 0);
  const before = await clockOf(failover);
  for (const bad of [{ type: 'explode' }, { type: 'seek', t: 'soon' }, { type: 'seek', t: -4 }, { type: 'seek' }, 'play', null, [1, 2]]) {
    await post(bad);
  }
  await page.waitForTimeout(300);
  assert.equal(await clockOf(failover), before);
  const warnings = page.warnings.filter((w) => w.startsWith('monscope embed: ignored a message'));
  assert.equal(warnings.length, 7, warnings.join('\n'));
  assert.match(warnings[0], /unknown type `explode`/);
  // A text that does not parse is refused, with an error message to the host.
  await post({ type: 'load', text: 'mons a b\nat 1s explode a\n' });
  await page.waitForFunction(() => window.heard.failover.some((m) => m.type === 'error'));
  const err = (await page.evaluate(() => window.heard.failover)).find((m) => m.type === 'error');
  assert.match(err.message, /^line 2, column \d+:/);
  // A good one replaces the scenario, at the time given; ready again.
  await post({ type: 'load', text: 'title "<i>four</i>"\nmons w x y z\n', t: 3 });
  await failover.getByTestId('mon-z').waitFor();
  assert.equal(await clockOf(failover), 3_000_000);
  assert.equal(await failover.locator('.embed-title').innerText(), '<i>four</i>');
  assert.equal(await failover.locator('i').count(), 0);
  await page.waitForFunction(() => window.heard.failover.filter((m) => m.type === 'ready').length === 2);
  assert.deepEqual(page.errors, []);
  await page.close();
});

/// The notes of a built-in scenario, from the CLI's trace: [{ at (µs), text }].
function notesOf(stem) {
  return cli('run', join(root, 'scenarios', `${stem}.mon`), '--json')
    .split('\n')
    .filter((l) => l.includes('"type":"note"'))
    .map((l) => JSON.parse(l));
}

test('embed layout: light and dark, narrow, no controls; open in playground; copy embed code', async () => {
  // Opened at the scenario's first note, which the note bar shows (its
  // backticked Ceph detail as code, never as markup).
  const [first] = notesOf('leader-failover');
  const at = first.at / 1e6;
  for (const [theme, size] of [['light', { width: 640, height: 440 }], ['dark', { width: 640, height: 440 }], ['dark', { width: 340, height: 380 }]]) {
    const page = await newPage(browser.context, size);
    await page.goto(new URL(`?embed=1&scenario=leader-failover&t=${at}&theme=${theme}`, url).href);
    await page.getByTestId('embed').waitFor();
    assert.equal(await page.getByTestId('embed-clock').getAttribute('data-t'), String(first.at));
    assert.equal(await page.getByTestId('embed-note').innerText(), first.text.replaceAll('`', ''));
    assert.equal(await page.getByTestId('embed-note').locator('code').count(), (first.text.match(/`/g) ?? []).length >> 1);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= size.width, `the embed is ${width}px wide in ${size.width}px`);
    await page.screenshot({ path: join(screenshots, `embed-${theme}-${size.width}.png`) });
    // Out of a frame nothing is posted, and top-level pages are always "in view".
    assert.deepEqual(page.errors, []);
    await page.close();
  }
  // controls=0: no buttons; until stops the excerpt.
  const page = await newPage(browser.context, { width: 640, height: 440 });
  await page.goto(new URL('?embed=1&scenario=leader-failover&t=29&until=30.5&autoplay=1&controls=0', url).href);
  await page.getByTestId('embed').waitFor();
  assert.equal(await page.getByTestId('embed-play').count(), 0);
  await page.waitForFunction(() => document.querySelector('[data-testid=embed-clock]').getAttribute('data-t') === '30500000', null, { timeout: 30_000 });
  assert.equal(await page.getByTestId('embed').getAttribute('data-playing'), 'false');
  await page.screenshot({ path: join(screenshots, 'embed-no-controls.png') });
  // "Open in playground": the same scenario, at the playhead, in a new tab.
  const link = page.getByTestId('open-playground');
  assert.equal(await link.getAttribute('target'), '_blank');
  const [tab] = await Promise.all([browser.context.waitForEvent('page'), link.click()]);
  await tab.getByTestId('editor').waitFor();
  assert.equal(await tab.getByTestId('clock').getAttribute('data-t'), '30500000');
  assert.match(await tab.getByTestId('editor').inputValue(), /^title "Leader failure and lease timeouts"/);
  // The playground's "Copy embed code" gives an iframe of the same scenario.
  await tab.getByTestId('embed-code').click();
  const code = await tab.getByTestId('embed-code-text').inputValue();
  const src = code.match(/^<iframe src="([^"]+)" title="monscope: Leader failure and lease timeouts"/)?.[1];
  assert.ok(src, code);
  const embedded = await newPage(browser.context, { width: 640, height: 440 });
  await embedded.goto(src.replaceAll('&amp;', '&'));
  await embedded.getByTestId('embed').waitFor();
  assert.equal(await embedded.locator('.embed-title').innerText(), 'Leader failure and lease timeouts');
  assert.equal(await embedded.getByTestId('embed-clock').getAttribute('data-t'), '30500000');
  for (const p of [page, embedded]) assert.deepEqual(p.errors, []);
  for (const p of [page, tab, embedded]) await p.close();
});

// An embed's view is in the lazy module (src/lazy.rs): one that cannot be
// fetched is said on the page, not left blank.
test('an embed whose lazy module cannot be fetched says so', async () => {
  const page = await browser.context.newPage();
  await page.route(/_lazy\.wasm$/, (route) => route.fulfill({ status: 503, body: 'unavailable' }));
  await page.goto(new URL('?embed=1', url).href);
  const panel = page.locator('#error-panel');
  await panel.waitFor({ state: 'visible', timeout: 60_000 });
  const text = await panel.innerText();
  assert.match(text, /monscope could not load part of itself \(monscope-web-[0-9a-f]+-[0-9a-f]{16}_lazy\.wasm\): HTTP 503/);
  assert.match(text, /Check the connection and reload the page\./);
  await page.close();
});
