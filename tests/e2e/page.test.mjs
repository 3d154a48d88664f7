// End-to-end: the built app (dist/, served by `cargo xtask test` on a free
// loopback port, passed in MONSCOPE_URL) in Debian's Chromium via playwright-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { PNG } from 'playwright-core/lib/utilsBundle';
import { busy, frameTimes, quantiles, returning, seek, showBusyAt } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const url = process.env.MONSCOPE_URL;
const executablePath = process.env.MONSCOPE_CHROMIUM || '/usr/bin/chromium';
const screenshots = join(here, 'screenshots');

let context;
let profile;
let pageErrors = [];

before(async () => {
  assert.ok(url, 'MONSCOPE_URL is not set: run the end-to-end tests with `cargo xtask test`');
  profile = mkdtempSync(join(tmpdir(), 'monscope-e2e-'));
  // A fresh profile and no background traffic: this machine has no network.
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
    viewport: { width: 1400, height: 950 },
  });
  await context.addInitScript(returning);
  mkdirSync(screenshots, { recursive: true });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function open(path = '') {
  const page = await context.newPage();
  // Every test starts from a fresh session: a plain load restores the last
  // one from IndexedDB (src/store/; tests/e2e/store.test.mjs tests that).
  await page.addInitScript(() => indexedDB.deleteDatabase('monscope'));
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  await page.goto(new URL(path, url).href);
  await page.getByTestId('cluster').waitFor({ state: 'visible', timeout: 60_000 });
  return page;
}

const mon = (page, name) => page.getByTestId(`mon-${name}`);
const stateOf = (page, name) => mon(page, name).getAttribute('data-state');
const clock = async (page) => Number(await page.getByTestId('clock').getAttribute('data-t'));

/// Names of the monitors in the cluster view, in rank order.
async function monNames(page) {
  const ids = await page.locator('[data-testid^="mon-"]').evaluateAll((els) =>
    els.map((e) => e.getAttribute('data-testid').slice(4)),
  );
  return ids;
}

async function leaders(page) {
  const out = [];
  for (const name of await monNames(page)) {
    if ((await stateOf(page, name)) === 'leader') out.push(name);
  }
  return out;
}

async function setSpeed(page, value) {
  await page.getByTestId('speed').selectOption(String(value));
}

/// Play until `cond()` holds (polling), then pause.
async function playUntil(page, cond, what, timeout = 30_000) {
  if ((await page.getByTestId('play').getAttribute('aria-label')) === 'Play') {
    await page.getByTestId('play').click();
  }
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeout) {
      throw new Error(`timed out playing until ${what} (t=${await clock(page)})`);
    }
    await page.waitForTimeout(50);
  }
  if ((await page.getByTestId('play').getAttribute('aria-label')) === 'Pause') {
    await page.getByTestId('play').click();
  }
}


async function snapshot(page) {
  const out = {};
  for (const name of await monNames(page)) {
    const m = mon(page, name);
    out[name] = [await m.getAttribute('data-state'), await m.getAttribute('data-epoch'), await m.getAttribute('data-lc')];
  }
  return out;
}

test('the page loads the default scenario and plays until a leader is shown', async () => {
  const page = await open();
  assert.equal(await page.title(), 'monscope');
  assert.deepEqual(await leaders(page), [], 'a leader before anything ran');
  await setSpeed(page, 0.1);
  await playUntil(page, async () => (await leaders(page)).length === 1, 'a leader is shown');
  const [leader] = await leaders(page);
  assert.equal(await page.getByTestId(`crown-${leader}`).count(), 1, 'the leader has no crown');
  assert.equal(await page.locator('#error-panel').count(), 0);
  await page.screenshot({ path: join(screenshots, 'leader.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('killing the leader from the UI makes another monitor leader', async () => {
  const page = await open();
  await seek(page, 3_000_000);
  const [leader] = await leaders(page);
  assert.ok(leader, 'no leader at 3s');
  await mon(page, leader).click();
  await page.getByTestId('action-kill').click();
  assert.match(await page.getByTestId('editor').inputValue(), new RegExp(`at 3s kill ${leader}`));
  assert.equal(await stateOf(page, leader), 'down');
  await setSpeed(page, 2);
  await playUntil(
    page,
    async () => {
      const l = await leaders(page);
      return l.length === 1 && l[0] !== leader;
    },
    'another leader',
    60_000,
  );
  assert.equal(await stateOf(page, leader), 'down');
  await page.screenshot({ path: join(screenshots, 'new-leader.png'), fullPage: true });
  // Undo restores the text and the old future.
  await page.getByTestId('undo').click();
  assert.doesNotMatch(await page.getByTestId('editor').inputValue(), /kill/);
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('cutting a link holds its messages until TCP retransmits them after the heal', async () => {
  const page = await open();
  await seek(page, 3_000_000);
  await page.getByTestId('link-a').selectOption('a');
  await page.getByTestId('link-b').selectOption('b');
  await page.getByTestId('action-cut').click();
  assert.match(await page.getByTestId('editor').inputValue(), /at 3s cut a b/);
  // The text shows at once; its run follows once the lazy module is in
  // (state.rs, `waiting`): wait for the run, not only the text.
  await page.locator('[data-testid="link-a-b"][data-cut="true"]').waitFor();
  // The messages held on the cut link are pings too: show every protocol.
  await page.getByTestId('filter-ping').click();
  // The timeline opens on the story (a few milliseconds here): the whole run has the held ones.
  await page.getByTestId('fit-run').click();
  const held = page.getByTestId('tl-held');
  await held.first().waitFor();
  assert.match(await held.first().locator('title').textContent(), /a → b|b → a/);
  assert.match(await held.first().locator('title').textContent(), /held by the cut link's TCP connection/);
  await page.screenshot({ path: join(screenshots, 'held.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('a written key is committed in the inspector of every quorum member', async () => {
  const page = await open();
  await seek(page, 3_000_000);
  await page.getByTestId('client-key').fill('colour');
  await page.getByTestId('client-value').fill('blue');
  await page.getByTestId('action-write').click();
  assert.match(await page.getByTestId('editor').inputValue(), /at 3s write colour blue/);
  await seek(page, 6_000_000);
  const [leader] = await leaders(page);
  assert.ok(leader);
  const members = [];
  for (const name of await monNames(page)) {
    const s = await stateOf(page, name);
    if (s === 'leader' || s === 'peon') members.push(name);
  }
  assert.ok(members.length >= 2, `quorum ${members}`);
  for (const name of members) {
    await page.getByTestId(`inspect-${name}`).click();
    const body = page.getByTestId('inspector-body');
    await body.and(page.locator(`[data-mon="${name}"]`)).waitFor();
    const value = page.locator('[data-key="mon_config_key/colour"]');
    assert.equal(await value.innerText(), '"blue"', `mon.${name} has not committed colour=blue`);
  }
  await page.screenshot({ path: join(screenshots, 'inspector.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('seeking backwards and forwards shows the same state', async () => {
  const page = await open('?scenario=leader-failover');
  const times = [45_000_000, 1_000_000, 31_500_000, 12_000_000, 58_000_000];
  const first = {};
  for (const t of times) {
    await seek(page, t);
    first[t] = await snapshot(page);
  }
  for (const t of [...times].reverse()) {
    await seek(page, t);
    assert.deepEqual(await snapshot(page), first[t], `the state at ${t}us differs`);
  }
  // Step forward and back by one event.
  await seek(page, 31_500_000);
  const here = await snapshot(page);
  await page.getByTestId('step-next').click();
  await page.getByTestId('step-prev').click();
  await page.getByTestId('step-prev').click();
  await page.getByTestId('step-next').click();
  assert.deepEqual(await snapshot(page), first[31_500_000] ?? here);
  // Time a few seeks in the browser (reported, not asserted).
  const ms = await page.getByTestId('scrubber').evaluate(async (el) => {
    const out = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      el.value = String((i * 7_919_993) % 60_000_000);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      // Yew renders in a task it schedules: wait for it.
      await new Promise((r) => setTimeout(r, 0));
      out.push(performance.now() - t0);
    }
    return out;
  });
  console.log(`seek+render in the browser (ms): ${ms.map((x) => x.toFixed(1)).join(' ')}`);
  await page.screenshot({ path: join(screenshots, 'seek.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('seeking anywhere in a ten-minute five-monitor run (reported)', async () => {
  const page = await open();
  let text = 'title "ten minutes"\nmons a b c d e\nseed 3\nend 10m\n';
  for (let i = 1; i <= 9; i++) {
    text += `at ${i * 60}s write k${i} v${i}\n`;
    if (i % 3 === 0) text += `at ${i * 60 + 5}s kill a\nat ${i * 60 + 40}s revive a\n`;
  }
  await page.getByTestId('editor').fill(text);
  await page.getByTestId('mon-e').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=clock]').textContent.includes('600.000'));
  const ms = await page.getByTestId('scrubber').evaluate(async (el) => {
    const out = [];
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      el.value = String((i * 97_919_993) % 600_000_000);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((r) => setTimeout(r, 0));
      out.push(performance.now() - t0);
    }
    return out;
  });
  const sorted = [...ms].sort((a, b) => a - b);
  console.log(
    `10-minute run, seek + render (ms): median ${sorted[20].toFixed(1)}, max ${sorted[39].toFixed(1)}`,
  );
  await page.screenshot({ path: join(screenshots, 'ten-minutes.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('a broken scenario shows the error with its line', async () => {
  const page = await open();
  const editor = page.getByTestId('editor');
  await editor.fill('mons a b c\nat 1s kill a\nat 2s explode b\n');
  const error = page.getByTestId('scenario-error');
  await error.waitFor();
  assert.match(await error.innerText(), /^line 3, column \d+:/);
  assert.equal(await error.getAttribute('data-line'), '3');
  // The views keep the last run; fixing the text runs it.
  await editor.fill('mons a b c\nat 1s kill a\nat 2s revive a\n');
  await error.waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('mon-c').count(), 1);
  // A bad action is an inline error, not a crash.
  await page.getByTestId('client-key').fill('');
  await page.getByTestId('action-write').click();
  await page.getByTestId('action-error').waitFor();
  await editor.fill('mons a b c\nat 1s kill a\nat 2s explode b\n');
  await page.screenshot({ path: join(screenshots, 'broken.png'), fullPage: true });
  assert.equal(await page.locator('#error-panel').count(), 0);
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('keyboard: space plays, arrows step, ? opens the help', async () => {
  const page = await open();
  // A step needs some of the run simulated: the worker's first slice may
  // come after the cluster is drawn.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=scrubber]')?.dataset.ready) > 0);
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  const t1 = await clock(page);
  await page.keyboard.press('ArrowRight');
  assert.ok((await clock(page)) > t1 || t1 > 0);
  await page.keyboard.press('?');
  await page.getByTestId('help').waitFor();
  await page.screenshot({ path: join(screenshots, 'help.png') });
  await page.keyboard.press('Escape');
  await page.getByTestId('help').waitFor({ state: 'detached' });
  await page.keyboard.press(' ');
  await page.waitForTimeout(300);
  assert.equal(await page.getByTestId('play').getAttribute('aria-label'), 'Pause');
  await page.keyboard.press(' ');
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('works at phone width', async () => {
  const page = await context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(url);
  await page.getByTestId('cluster').waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 400, `the page is ${width}px wide at phone width`);
  await page.screenshot({ path: join(screenshots, 'phone.png'), fullPage: true });
  await page.close();
});

/// What the canvas `testid` paints: its pixels are a worker's (an
/// OffscreenCanvas), not the page's to read, so the page is shot with the
/// canvas and without it. `painted(x, y)` says whether pixel (x, y) of the
/// shot differs; `at(x, y)` is that pixel's centre in page pixels.
async function canvasPaint(page, testid) {
  const canvas = page.getByTestId(testid);
  const clip = await canvas.boundingBox();
  const shot = async () => PNG.sync.read(await page.screenshot({ clip }));
  const shown = await shot();
  await canvas.evaluate((c) => { c.style.visibility = 'hidden'; });
  const under = await shot();
  await canvas.evaluate((c) => { c.style.visibility = ''; });
  const { width, height } = shown;
  const painted = (x, y) => {
    const o = (y * width + x) * 4;
    return [0, 1, 2].reduce((d, k) => d + Math.abs(shown.data[o + k] - under.data[o + k]), 0) > 120;
  };
  const at = (x, y) => ({ x: clip.x + ((x + 0.5) * clip.width) / width, y: clip.y + ((y + 0.5) * clip.height) / height });
  return { width, height, painted, at };
}

/// A point (page pixels) where the canvas `testid` shows something, scanning
/// from `[fx, fy]` (fractions of its width and height). Null if it shows nothing.
async function paintedAt(page, testid, [fx, fy] = [0, 0]) {
  const { width, height, painted, at } = await canvasPaint(page, testid);
  for (let y = Math.floor(height * fy); y < height; y += 2) {
    for (let x = Math.floor(width * fx); x < width; x += 2) {
      if (painted(x, y)) return at(x, y);
    }
  }
  return null;
}

/// The box (page pixels) of everything the canvas `testid` paints.
async function paintedBox(page, testid) {
  const { width, height, painted, at } = await canvasPaint(page, testid);
  const box = { left: Infinity, right: -Infinity, top: Infinity, bottom: -Infinity };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!painted(x, y)) continue;
      const p = at(x, y);
      box.left = Math.min(box.left, p.x);
      box.right = Math.max(box.right, p.x);
      box.top = Math.min(box.top, p.y);
      box.bottom = Math.max(box.bottom, p.y);
    }
  }
  return box;
}

async function framesPlaying(page, text, at) {
  const inFlight = await showBusyAt(page, text, at);
  await setSpeed(page, 0.1);
  await page.getByTestId('play').click();
  const frames = await frameTimes(page);
  await page.getByTestId('play').click();
  const { p50, text: line } = quantiles(frames);
  console.log(`frame times with ${inFlight} messages in flight (ms): ${line}`);
  return { inFlight, p50 };
}

test('frame times while animating 7 monitors with many messages in flight (reported)', async () => {
  const page = await open();
  // Seven monitors, slow links and a stream of client writes: over 200
  // messages in the air at 23 s (the figure), pings and Paxos included,
  // once AuthMonitor's first commit (21.7 s on these links) lets the waiting
  // clients in.
  const { inFlight } = await framesPlaying(page, busy([...'abcdefg'], 1000, 0.01), 23_000_000);
  await page.screenshot({ path: join(screenshots, 'busy.png'), fullPage: true });
  assert.ok(inFlight >= 200, `only ${inFlight} messages in flight`);
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('frame times while animating 15 monitors with 2,000 messages in flight (reported)', async () => {
  const page = await open();
  // The most monitors a scenario may have, links of 1 to 2 s and 2,500 writes
  // 4 ms apart: once the slow start-up lets clients in, the writes' forwards,
  // the sessions and the Paxos rounds to 14 peons pile up; at 40 s over 2,000
  // messages are in the air.
  const { inFlight, p50 } = await framesPlaying(page, busy([...'abcdefghijklmno'], 2500, 0.004, '1s..2s', '60s'), 40_000_000);
  await page.screenshot({ path: join(screenshots, 'busy-15.png'), fullPage: true });
  assert.ok(inFlight >= 2000, `only ${inFlight} messages in flight`);
  // The 60 fps, as the median frame: the tail (p99, reported above)
  // is the loaded machine's as much as the page's (README, "The page").
  assert.ok(p50 <= 20, `median frame ${p50} ms`);
  // So many are drawn on a canvas; a click on a dot still selects its message
  // (then drawn in the SVG, ringed) and opens its details.
  const dot = await paintedAt(page, 'messages-canvas');
  assert.ok(dot, 'the canvas shows dots');
  // Hundreds on one link share its outer lanes: the dots stay on the
  // picture of the ring, not strung out past it.
  const painted = await paintedBox(page, 'messages-canvas');
  const ring = await page.evaluate(() => {
    const svg = document.querySelector('svg[data-testid=cluster]');
    const r = svg.getBoundingClientRect();
    const scale = Math.min(r.width / svg.viewBox.baseVal.width, r.height / svg.viewBox.baseVal.height);
    const b = [...document.querySelectorAll('.mon-body')].map((c) => c.getBoundingClientRect());
    const m = 80 * scale; // the outermost lane is 66 units off its link
    return { left: Math.min(...b.map((r) => r.left)) - m, right: Math.max(...b.map((r) => r.right)) + m,
      top: Math.min(...b.map((r) => r.top)) - m, bottom: Math.max(...b.map((r) => r.bottom)) + m };
  });
  assert.ok(painted.left >= ring.left && painted.right <= ring.right && painted.top >= ring.top && painted.bottom <= ring.bottom,
    `dots painted over ${JSON.stringify(painted)}, the ring's picture is ${JSON.stringify(ring)}`);
  await page.mouse.click(dot.x, dot.y);
  await page.locator('[data-testid=msg].selected').waitFor();
  await page.getByTestId('details').waitFor();
  // The timeline's window holds over a thousand arrows: the plain ones are on
  // a canvas too, and a click on one picks it as on the SVG's (then drawn in
  // the SVG, selected).
  const ringPick = await page.locator('[data-testid=msg].selected').getAttribute('data-ev');
  await page.getByTestId('timeline-area').scrollIntoViewIfNeeded();
  // (Painted by a worker: the pixels come a few frames after the window.)
  let arrow = null;
  for (let tries = 0; !arrow && tries < 40; tries++) {
    arrow = await paintedAt(page, 'timeline-canvas', [0.5, 1 / 3]);
    if (!arrow) await page.waitForTimeout(250);
  }
  assert.ok(arrow, 'the timeline canvas shows arrows');
  // Hovering over it says what it is, as an SVG arrow's title does.
  await page.mouse.move(arrow.x, arrow.y);
  await page.waitForFunction(() => / → .* at [\d.]+ s, /.test(document.querySelector('[data-testid=timeline-area]').title));
  await page.mouse.move(arrow.x, arrow.y - 400);
  await page.waitForFunction(() => /^click a message/.test(document.querySelector('[data-testid=timeline-area]').title));
  await page.mouse.click(arrow.x, arrow.y);
  await page.locator(`[data-testid=timeline-svg] .arrow.selected:not([data-ev="${ringPick}"])`).waitFor();
  await page.getByTestId('details').waitFor();
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(screenshots, 'busy-15-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

// The page aborts at once on a panic (xtask/src/nightly.rs): the wasm traps,
// with no message, and www/index.html's script shows the trap.
test('a panic shows the error panel, not a blank page', async () => {
  const page = await context.newPage();
  await page.goto(new URL('?debug-panic', url).href);
  const panel = page.locator('#error-panel');
  await panel.waitFor({ state: 'visible', timeout: 60_000 });
  assert.match(await panel.innerText(), /Something went wrong\s+monscope crashed: RuntimeError: unreachable/);
  assert.equal(await panel.getByRole('button', { name: 'Reload' }).count(), 1);
  await page.screenshot({ path: join(screenshots, 'panic.png'), fullPage: true });
  await page.close();
});

// The page's wasm uses WebAssembly SIMD: a browser that cannot compile it
// (here one whose compiler refuses every module) is told so, not shown a
// blank page.
test('a browser that cannot compile the wasm is told what monscope needs', async () => {
  const page = await context.newPage();
  await page.addInitScript(() => {
    const refuse = () => Promise.reject(new WebAssembly.CompileError('SIMD unsupported (test)'));
    WebAssembly.instantiateStreaming = refuse;
    WebAssembly.compileStreaming = refuse;
    WebAssembly.instantiate = refuse;
    WebAssembly.compile = refuse;
  });
  await page.goto(url);
  const panel = page.locator('#error-panel');
  await panel.waitFor({ state: 'visible', timeout: 60_000 });
  const text = await panel.innerText();
  assert.match(text, /This browser cannot run monscope's WebAssembly: CompileError: SIMD unsupported \(test\)/);
  assert.match(text, /needs WebAssembly with SIMD: Chrome or Edge 91, Firefox 89, Safari 16\.4 or later/);
  assert.doesNotMatch(text, /a bug in monscope/);
  await page.close();
});

test('dragging the timeline pans its window', async () => {
  const page = await open();
  await seek(page, 2_000_000);
  const area = page.getByTestId('timeline-area');
  await area.scrollIntoViewIfNeeded();
  const before = Number(await area.getAttribute('data-win-start'));
  const t = await clock(page);
  const box = await area.boundingBox();
  const y = box.y + 30;
  await page.mouse.move(box.x + box.width * 0.8, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.3, y, { steps: 5 });
  await page.mouse.up();
  const after = Number(await area.getAttribute('data-win-start'));
  // Half the width to the left: the window moves half its span later.
  assert.ok(after > before, `the window start went from ${before} to ${after}`);
  assert.equal(await clock(page), t, 'a drag is not a seek');
  // Dragging back to the right moves it earlier again.
  await page.mouse.move(box.x + box.width * 0.2, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, y, { steps: 8 });
  await page.mouse.up();
  assert.ok(Number(await area.getAttribute('data-win-start')) < after);
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('the inspector shows connectivity scores under the connectivity strategy', async () => {
  const page = await open('?scenario=connectivity-broken-link');
  await seek(page, 40_000_000);
  await page.getByTestId('inspect-c').click();
  await page.getByTestId('inspector-body').and(page.locator('[data-mon="c"]')).waitFor();
  for (const name of ['a', 'b', 'c', 'd', 'e']) {
    const score = await page.locator(`[data-field="connectivity scores.${name}"]`).innerText();
    assert.ok(Number.isFinite(Number.parseFloat(score)), `score of ${name}: ${score}`);
  }
  // a and b declared each other dead after the cut: they score less than c.
  const score = async (n) => Number.parseFloat(await page.locator(`[data-field="connectivity scores.${n}"]`).innerText());
  assert.ok((await score('a')) < (await score('c')), 'a scores as much as c');
  assert.match(await page.locator('[data-key="monitor/connectivity_scores"]').innerText(), /^tracker of rank 2/);
  await page.getByTestId('inspect-a').click();
  assert.equal(await page.locator('[data-field="elector.declared dead"]').innerText(), 'b');
  await page.getByTestId('inspect-c').click();
  await page.locator('[data-section="connectivity scores"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshots, 'connectivity-inspector.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('partitioning by clicking monitors into groups cuts the links', async () => {
  const page = await open();
  await seek(page, 3_000_000);
  // Nothing in groups yet: an inline error, no scenario line.
  await page.getByTestId('action-partition').click();
  await page.getByTestId('action-error').waitFor();
  assert.doesNotMatch(await page.getByTestId('editor').inputValue(), /partition/);
  await page.getByTestId('group-a').click();
  await page.getByTestId('group-b').click();
  await page.getByTestId('group-c').click();
  await page.getByTestId('group-c').click();
  assert.equal(await page.getByTestId('group-c').getAttribute('data-group'), '2');
  await page.getByTestId('action-partition').click();
  assert.match(await page.getByTestId('editor').inputValue(), /at 3s partition a b \| c\n/);
  // Its run follows the text once the lazy module is in (state.rs, `waiting`).
  await page.locator('[data-testid="link-a-c"][data-cut="true"]').waitFor();
  assert.equal(await page.getByTestId('link-a-b').getAttribute('data-cut'), 'false');
  await page.getByTestId('filter-ping').click();
  // The timeline opens on the story (a few milliseconds here): the whole run
  // has what the cut links hold.
  await page.getByTestId('fit-run').click();
  await page.getByTestId('tl-held').first().waitFor();
  await page.screenshot({ path: join(screenshots, 'partition.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

/// Every arrow of the timeline in page pixels: { ev, x1, y1, x2, y2, title }.
async function timelineArrows(page) {
  return page.getByTestId('timeline-svg').evaluate((svg) => {
    const box = svg.getBoundingClientRect();
    const px = (v) => (v.endsWith('%') ? (parseFloat(v) / 100) * box.width : parseFloat(v));
    return [...svg.querySelectorAll('.arrow')].map((g) => {
      const l = g.querySelector('line');
      return {
        ev: g.getAttribute('data-ev'),
        title: g.querySelector('title').textContent,
        x1: box.left + px(l.getAttribute('x1')),
        y1: box.top + px(l.getAttribute('y1')),
        x2: box.left + px(l.getAttribute('x2')),
        y2: box.top + px(l.getAttribute('y2')),
      };
    });
  });
}

const toSegment = (x, y, a) => {
  const [dx, dy] = [a.x2 - a.x1, a.y2 - a.y1];
  const k = Math.max(0, Math.min(1, ((x - a.x1) * dx + (y - a.y1) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(a.x1 + dx * k - x, a.y1 + dy * k - y);
};

test('clicking the timeline selects the nearest arrow under the pointer and shows it there', async () => {
  const page = await open();
  // The timeline opens on the start-up's story; zoom in on its first 10 ms.
  for (let i = 0; i < 2; i++) await page.getByTestId('zoom-in').click();
  await page.getByTestId('timeline-area').scrollIntoViewIfNeeded();
  const arrows = await timelineArrows(page);
  const marks = await page.locator('[data-testid=timeline-svg] .mark').evaluateAll((els) =>
    els.map((e) => {
      const b = e.getBoundingClientRect();
      return [b.x + b.width / 2, b.y + b.height / 2];
    }),
  );
  // A point on one arrow with another arrow close by (where overlapping hit
  // areas used to pick whichever was drawn last), clear of the marks.
  let target = null;
  for (const a of arrows) {
    for (const k of [0.3, 0.5, 0.7]) {
      const [x, y] = [a.x1 + (a.x2 - a.x1) * k, a.y1 + (a.y2 - a.y1) * k];
      const others = arrows.filter((b) => b.ev !== a.ev).map((b) => toSegment(x, y, b));
      const nearest = Math.min(...others);
      if (nearest < 3.5 || marks.some(([mx, my]) => Math.hypot(mx - x, my - y) < 12)) continue;
      if (!target || (nearest < 9 && target.nearest >= 9)) target = { a, x, y, nearest };
    }
  }
  assert.ok(target, 'no arrow to click');
  console.log(`clicking ${target.a.title}, the next arrow ${target.nearest.toFixed(1)} px away`);
  const [, from, to] = target.a.title.match(/^\S+ (\S+) → (\S+) at/);
  await page.mouse.click(target.x, target.y);
  await page.locator(`[data-testid=timeline-svg] .arrow.selected[data-ev="${target.a.ev}"]`).waitFor();
  await page.getByTestId('inspector-body').and(page.locator(`[data-mon="${from}"]`)).waitFor();
  assert.equal(await mon(page, from).getAttribute('aria-pressed'), 'true');
  assert.equal(await mon(page, to).getAttribute('aria-pressed'), 'false');
  // Its fields appear next to the click, in the viewport.
  const card = await page.getByTestId('details').boundingBox();
  const vp = page.viewportSize();
  assert.ok(Math.abs(card.x - target.x) < 60 && Math.abs(card.y - target.y) < 60, `the details are at ${card.x},${card.y}, the click at ${target.x},${target.y}`);
  assert.ok(card.x + card.width <= vp.width, 'the details are cut off on the right');
  assert.match(await page.getByTestId('details').innerText(), new RegExp(`${from} → ${to}`));
  await page.screenshot({ path: join(screenshots, 'timeline-pick.png') });
  // Escape closes them; clicking where there is no arrow or mark seeks.
  await page.keyboard.press('Escape');
  await page.getByTestId('details').waitFor({ state: 'detached' });
  const box = await page.getByTestId('timeline-area').boundingBox();
  const before = await clock(page);
  await page.mouse.click(box.x + box.width * 0.97, box.y + box.height - 3);
  await page.waitForFunction((t) => document.querySelector('[data-testid=clock]').getAttribute('data-t') !== String(t), before);
  // And the other way: selecting a monitor highlights its timeline lane.
  await mon(page, to).click();
  assert.equal(await page.locator('.lane-label.selected').innerText(), to);
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('monitors added and removed later show as ghosts until they join and after they leave', async () => {
  const page = await open('?scenario=add-and-remove');
  await seek(page, 5_000_000);
  assert.deepEqual(await monNames(page), ['a', 'b', 'c', 'd']);
  assert.equal(await stateOf(page, 'd'), 'absent');
  assert.ok((await page.getByTestId('tl-absent').count()) > 0, 'no hatched lane for d');
  await mon(page, 'd').click();
  assert.match(await page.getByTestId('inspector-absent').innerText(), /added at 15s/);
  assert.equal(await page.getByTestId('action-absent').count(), 1);
  await page.screenshot({ path: join(screenshots, 'add-before.png'), fullPage: true });
  await seek(page, 40_000_000);
  assert.ok(['leader', 'peon'].includes(await stateOf(page, 'd')), await stateOf(page, 'd'));
  await page.getByTestId('inspect-a').click();
  assert.equal(await page.locator('[data-field="monmap service.members"]').innerText(), 'a(0) b(1) c(2) d(3)');
  await page.screenshot({ path: join(screenshots, 'add-joined.png'), fullPage: true });
  await seek(page, 85_000_000);
  assert.equal(await stateOf(page, 'b'), 'absent');
  assert.equal(await page.locator('[data-field="monmap service.members"]').innerText(), 'a(0) c(1) d(2)');
  assert.match(await mon(page, 'd').getAttribute('aria-label'), /rank 2/);
  await page.screenshot({ path: join(screenshots, 'removed.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('five and seven monitors, and the skew action (screenshots)', async () => {
  const page = await open('?scenario=five-mons-start');
  await seek(page, 8_000_000);
  assert.equal((await leaders(page)).length, 1);
  await page.screenshot({ path: join(screenshots, 'five.png'), fullPage: true });
  await page.getByTestId('editor').fill('mons a b c d e f g\nseed 4\nat 6s cut a c\nat 7s kill g\nend 20s\n');
  await page.getByTestId('mon-g').waitFor();
  await seek(page, 5_500_000);
  assert.equal((await leaders(page)).length, 1);
  await page.screenshot({ path: join(screenshots, 'seven.png'), fullPage: true });
  await seek(page, 9_000_000);
  await mon(page, 'b').click();
  // Skew needs a value: an inline error first, then a line.
  await page.getByTestId('action-skew').click();
  await page.getByTestId('action-error').waitFor();
  await page.getByTestId('skew-input').fill('-2s');
  await page.getByTestId('action-skew').click();
  assert.match(await page.getByTestId('editor').inputValue(), /at 9s skew b -2s/);
  await seek(page, 16_000_000);
  await page.screenshot({ path: join(screenshots, 'seven-cut.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});
