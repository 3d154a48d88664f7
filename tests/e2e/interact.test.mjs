// Interaction: global keys that never click the focused button, an action
// not added twice, notices that never cover the ring, a refused link that
// keeps the session, expectations whose header and list agree, and the site
// under a sub-path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { launch, newPage, openPage, seek, url, screenshots } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch({ viewport: { width: 1440, height: 900 } });
});
after(async () => {
  await browser?.close();
});

const open = (path = '', context = browser.context) => openPage(context, path);


const playing = async (page) => (await page.getByTestId('play').getAttribute('aria-label')) === 'Pause';
const lines = async (page, re) => (await page.getByTestId('editor').inputValue()).split('\n').filter((l) => re.test(l));

test('space with a focused button plays and pauses and adds no line; the same action twice is one line', async () => {
  const page = await open();
  await seek(page, 2_000_000);
  await page.getByTestId('group-b').click();
  await page.getByTestId('group-c').click();
  await page.getByTestId('group-c').click();
  await page.getByTestId('action-partition').click();
  assert.deepEqual(await lines(page, /partition/), ['at 2s partition b | c']);
  // The Partition button has the focus: space is play/pause, not another click.
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'action-partition');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-label') === 'Pause');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-label') === 'Play');
  assert.deepEqual(await lines(page, /partition/), ['at 2s partition b | c']);
  // A focused checkbox is not toggled by space either.
  const hurry = page.getByTestId('skip-quiet');
  await hurry.focus();
  await page.keyboard.press(' ');
  assert.equal(await hurry.isChecked(), true);
  assert.ok(await playing(page));
  await page.keyboard.press(' ');
  // Back at 2 s, the same partition again is not added: it says so.
  await seek(page, 2_000_000);
  await page.getByTestId('action-partition').click();
  assert.match(await page.getByTestId('action-error').innerText(), /"at 2s partition b \| c" is already in the scenario/);
  assert.deepEqual(await lines(page, /partition/), ['at 2s partition b | c']);
  // Keys act wherever the focus is, except in a text field.
  await page.getByTestId('mon-a').focus();
  await page.keyboard.press('ArrowRight');
  assert.notEqual(await page.getByTestId('clock').getAttribute('data-t'), '2000000');
  await page.getByTestId('editor').focus();
  await page.keyboard.press('End');
  await page.keyboard.press(' ');
  assert.equal(await playing(page), false, 'space in the editor played');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('notices sit above the ring, never over it; a refused link keeps the session and opens as text', async () => {
  const own = await launch({ viewport: { width: 1440, height: 900 } });
  try {
    // A session of one's own.
    let page = await open('', own.context);
    const mine = 'title "mine"\nmons x y z\nat 3s kill x\n';
    await page.getByTestId('editor').fill(mine);
    await page.getByTestId('mon-z').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=disk]')?.getAttribute('data-flushed') === 'true', null, { timeout: 20_000 });
    // A link that is not a valid scenario.
    const b64url = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const broken = new URL(`#s1=${b64url(deflateRawSync(Buffer.from('mons a b c\nat 1s explode a\n')))}`, url).href;
    await page.close();
    page = await newPage(own.context);
    await page.goto(broken);
    const panel = page.getByTestId('link-error');
    await panel.waitFor();
    assert.match(await page.getByTestId('link-error-message').innerText(), /not valid: line 2/);
    // The session came back under the refusal; nothing says the link was opened.
    await page.waitForFunction((m) => document.querySelector('[data-testid=editor]').value === m, mine);
    assert.equal(await page.getByTestId('storage-notice').filter({ hasText: 'Opened the link' }).count(), 0);
    // The ring and every notice from one layout (a notice arriving between
    // two reads moves the ring down after it was read).
    const { ring, notices } = await page.evaluate(() => ({
      ring: document.querySelector('[data-testid=cluster]').getBoundingClientRect().toJSON(),
      notices: [...document.querySelectorAll('[data-testid=link-error], [data-testid=storage-notice]')].map((e) => ({
        ...e.getBoundingClientRect().toJSON(),
        text: e.textContent.slice(0, 80),
      })),
    }));
    for (const box of notices) {
      const apart = box.y + box.height <= ring.y || ring.y + ring.height <= box.y || box.x + box.width <= ring.x || ring.x + ring.width <= box.x;
      assert.ok(apart, `a notice at ${JSON.stringify(box)} covers the ring at ${JSON.stringify(ring)}`);
    }
    await page.getByTestId('play').boundingBox().then((b) => assert.ok(b.y + b.height <= 900, 'the notice pushed the controls out of the first screen'));
    await page.screenshot({ path: join(screenshots, 'refused-link.png') });
    // Opened as text: the link's scenario is in the editor, with its error.
    await page.getByTestId('link-open-anyway').click();
    await panel.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('editor').inputValue(), 'mons a b c\nat 1s explode a\n');
    assert.equal(await page.getByTestId('scenario-error').getAttribute('data-line'), '2');
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    await own.close();
  }
});

test('the expectations header counts what the list shows: past failures marked ✘, the rest to come', async () => {
  const page = await open();
  // `monscope run`: no leader at 1 s (the first quorum made the monmap and
  // everyone bootstrapped again), a leads from 5.07 s.
  await page.getByTestId('editor').fill('mons a b c\nat 1s expect leader c\nat 5.5s expect leader a\nat 7s expect leader a\nend 8s\n');
  // The list is the run's: wait for this text's three, not the default
  // scenario's six (the run follows the text once the lazy module is in,
  // state.rs `waiting`).
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=expectation]').length === 3);
  const header = page.getByTestId('expect-summary');
  await seek(page, 6_000_000);
  assert.equal(await header.innerText(), 'Expectations: 1 passed, 1 failed, 1 still to come');
  const rows = await page.getByTestId('expectation').evaluateAll((els) => els.map((e) => [e.className.replace('expect ', ''), e.innerText.slice(0, 1)]));
  assert.deepEqual(rows, [['fail', '✘'], ['pass', '✔'], ['future', '…']]);
  await seek(page, 8_000_000);
  assert.equal(await header.innerText(), 'Expectations: 2 passed, 1 failed');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the site works under a sub-path and at the root of its host', async () => {
  const base = new URL(url);
  assert.notEqual(base.pathname, '/', 'the end-to-end tests serve dist/ under a sub-path (xtask/src/serve.rs)');
  for (const where of [url, new URL('/', url).href]) {
    const page = await newPage(browser.context);
    const assets = [];
    page.on('request', (r) => assets.push(r.url()));
    await page.goto(new URL('?scenario=leader-failover', where).href);
    await page.getByTestId('cluster').waitFor({ timeout: 60_000 });
    const wasm = assets.find((a) => a.endsWith('.wasm'));
    assert.ok(wasm?.startsWith(where), `the wasm came from ${wasm}, not under ${where}`);
    // Links the page makes point under it too.
    await page.getByTestId('share').click();
    assert.ok((await page.getByTestId('share-link').inputValue()).startsWith(new URL(where).href.split('?')[0]));
    assert.deepEqual(page.errors, []);
    await page.close();
  }
  const demo = await newPage(browser.context);
  await demo.goto(new URL('embed-demo.html', url).href);
  await demo.frameLocator('#failover').getByTestId('embed').waitFor({ timeout: 60_000 });
  assert.ok(demo.frames().some((f) => f.url().startsWith(`${url}?embed=1`)));
  await demo.close();
});
