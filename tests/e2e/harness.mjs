// Shared by share/embed/tour tests: Chromium via playwright-core (as in
// page.test.mjs), the page URL from MONSCOPE_URL, and the native CLI
// (MONSCOPE_CLI, set by `cargo xtask test`) to compare the browser with.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
export const url = process.env.MONSCOPE_URL;
export const screenshots = join(here, 'screenshots');
const executablePath = process.env.MONSCOPE_CHROMIUM || '/usr/bin/chromium';
const cliPath = process.env.MONSCOPE_CLI || join(root, 'target', 'debug', 'monscope');

/// An init script that makes the browser a returning visitor: a first visit
/// plays the default scenario by itself and offers the tour (first.test.mjs
/// tests that), which other tests do not expect.
export function returning() {
  try {
    localStorage.setItem('monscope-visited', '1');
  } catch {
    // about:blank and other opaque origins have no localStorage.
  }
}

/// A fresh browser profile; returns { context, close }. `firstVisit`: the
/// browser has never seen monscope.
export async function launch({ firstVisit = false, ...options } = {}) {
  assert.ok(url, 'MONSCOPE_URL is not set: run the end-to-end tests with `cargo xtask test`');
  const profile = mkdtempSync(join(tmpdir(), 'monscope-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
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
    ...options,
  });
  if (!firstVisit) await context.addInitScript(returning);
  mkdirSync(screenshots, { recursive: true });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/// A new page that records page errors and console errors/warnings.
export async function newPage(context, viewport) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  page.errors = [];
  page.warnings = [];
  page.on('pageerror', (err) => page.errors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.errors.push(msg.text());
    if (msg.type() === 'warning') page.warnings.push(msg.text());
    // A moved function called before its module was awaited (src/lazy.rs):
    // it works, but the page blocked on a fetch; a path to fix.
    if (msg.text().includes('lazy module was loaded synchronously')) page.errors.push(msg.text());
  });
  return page;
}

/// Runs the CLI; returns its stdout (a `run --json` trace can be several MB,
/// more than execFileSync's 1 MiB default buffer).
export function cli(...args) {
  return execFileSync(cliPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/// Writes `text` to a temporary .mon file and returns its path.
export function scenarioFile(text) {
  const dir = mkdtempSync(join(tmpdir(), 'monscope-scenario-'));
  const file = join(dir, 'scenario.mon');
  writeFileSync(file, text);
  return file;
}

/// The final-state summary of `monscope run FILE --until T`:
/// { mons: {name: {state, epoch, lc, quorum}}, leader, quorum, epoch }.
export function cliState(file, until) {
  const out = cli('run', file, '--until', until);
  const mons = {};
  for (const line of out.split('\n')) {
    const m = line.match(/^mon\.(\S+)\s+(\S+)\s+epoch (\d+)\s+last_committed (\d+)\s*(?:quorum (.*))?$/);
    if (m) mons[m[1]] = { state: m[2], epoch: m[3], lc: m[4], quorum: m[5] ? m[5].trim().split(' ') : [] };
  }
  assert.ok(Object.keys(mons).length > 0, `no state in the CLI's output:\n${out.slice(-500)}`);
  const leader = Object.keys(mons).find((n) => mons[n].state === 'leader') ?? null;
  return {
    mons,
    leader,
    quorum: leader ? mons[leader].quorum : [],
    epoch: leader ? Number(mons[leader].epoch) : Math.max(...Object.values(mons).map((m) => Number(m.epoch))),
  };
}

/// Opens `path` (relative to the page's URL) in a new page of `context` and
/// waits for the cluster view.
export async function openPage(context, path = '', viewport) {
  const page = await newPage(context, viewport);
  await page.goto(new URL(path, url).href);
  await page.getByTestId('cluster').waitFor({ state: 'visible', timeout: 60_000 });
  return page;
}

/// Seeks by setting the scrubber (as dragging it does), and waits for the clock.
export async function seek(page, micros) {
  await page.getByTestId('scrubber').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, micros);
  await page.waitForFunction((v) => document.querySelector('[data-testid=clock]').getAttribute('data-t') === String(v), micros);
}

/// The frame tests' runs (page.test.mjs, trace-frames.mjs): `writes` client
/// writes every `every` seconds from 10 s, round robin over the monitors.
/// On such slow links the start-up's AuthMonitor commits late, and until it
/// has, a monitor refuses clients (Monitor::handle_auth_request, EBUSY): the
/// writes wait, then pile up at once.
export function busy(names, writes, every, latency = '400ms..900ms', end = '40s') {
  let text = `title "busy"\nmons ${names.join(' ')}\nlatency ${latency}\nseed 2\nend ${end}\n`;
  for (let i = 0; i < writes; i++) {
    text += `at ${(10 + i * every).toFixed(3)}s write k${i} v${i} via ${names[i % names.length]}\n`;
  }
  return text;
}

/// `monscope bench`'s scenario (crates/cli/src/bench.rs): five monitors and
/// a client write every 100 ms for an hour after 10 s.
export function benchHour() {
  let s = 'title "bench"\nmons a b c d e\nseed 1\n';
  for (let i = 0; i < 36_000; i++) s += `at ${10_000 + i * 100}ms write k${i % 100} v${i}\n`;
  return s + 'end 3610s\n';
}

/// For the trace tools (trace-paste.mjs, trace-seek.mjs): a page at `base`
/// with the bench hour on the clipboard and the editor's text selected, so
/// that Ctrl+V pastes it. Returns { browser, page }.
export async function hourReadyToPaste(base) {
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext({ viewport: { width: 1400, height: 950 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(base).origin });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  await page.addInitScript(returning);
  await page.goto(new URL('?scenario=three-mons-start', base).href);
  await page.waitForSelector('[data-testid=cluster]');
  await page.evaluate((t) => navigator.clipboard.writeText(t), benchHour());
  await page.getByTestId('editor').focus();
  await page.keyboard.press('Control+a');
  return { browser, page };
}

/// Frame times (ms) of `n` animation frames, measured in the page.
export async function frameTimes(page, n = 300) {
  return page.evaluate(
    (n) =>
      new Promise((resolve) => {
        const times = [];
        let last = performance.now();
        const tick = (now) => {
          times.push(now - last);
          last = now;
          if (times.length < n) requestAnimationFrame(tick);
          else resolve(times);
        };
        requestAnimationFrame(tick);
      }),
    n,
  );
}

/// p50, p90, p99 and max of frame times (the first five, the warm-up, left
/// out), each to 0.1 ms, and the line the tests print.
export function quantiles(frames) {
  const sorted = [...frames].slice(5).sort((a, b) => a - b);
  const q = (p) => Number(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1));
  const r = { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) };
  const f = (x) => x.toFixed(1);
  r.text = `p50 ${f(r.p50)} p90 ${f(r.p90)} p99 ${f(r.p99)} max ${f(r.max)}`;
  return r;
}

/// Opens `text` in the editor, seeks to `at` (µs) once the run is fully
/// simulated (the worker streams the rest for a while; the page folds it in
/// 8 ms slices and shows the grown run every 250 ms), and shows every protocol
/// (pings and time checks are hidden by default: the most there is to draw).
/// Returns the messages in flight there, as the ring counts them.
export async function showBusyAt(page, text, at) {
  // Simulating 15 monitors' busy run takes a while on a loaded machine.
  await page.getByTestId('editor').fill(text, { timeout: 120_000 });
  await page.getByTestId(`mon-${text.match(/^mons (.*)$/m)[1].split(' ').pop()}`).waitFor({ timeout: 120_000 });
  await seek(page, at);
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=scrubber]');
    return s.dataset.ready === s.max;
  }, null, { timeout: 300_000 });
  await page.getByTestId('filter-ping').click();
  await page.getByTestId('filter-timecheck').click();
  // (The count is read once the ring shows them.)
  await page.locator('[data-testid=filter-timecheck][aria-pressed=true]').waitFor();
  return Number(await page.getByTestId('cluster').getAttribute('data-in-flight'));
}
