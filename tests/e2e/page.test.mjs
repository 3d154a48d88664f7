// End-to-end: the built app (dist/, served by `cargo xtask test` on a free
// loopback port, passed in MONSCOPE_URL) in Debian's Chromium via playwright-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

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
    viewport: { width: 1200, height: 800 },
  });
  mkdirSync(screenshots, { recursive: true });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function open(path = '') {
  const page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  await page.goto(new URL(path, url).href);
  return page;
}

test('the page runs a built-in scenario and shows its final state', async () => {
  const page = await open();
  assert.equal(await page.title(), 'monscope');
  const finalState = page.locator('#final-state');
  await finalState.waitFor({ state: 'visible', timeout: 60_000 });
  const text = await finalState.innerText();
  assert.match(text, /leader/i, `the final state shows no leader:\n${text}`);
  assert.match(await page.locator('#digest').innerText(), /trace digest: [0-9a-f]{8,}/);
  assert.equal(await page.locator('#error-panel').count(), 0, 'an error panel is shown');
  assert.ok((await page.locator('#scenarios button').count()) >= 1, 'no scenarios are listed');
  await page.screenshot({ path: join(screenshots, 'home.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  await page.close();
});

test('picking another scenario runs it', async () => {
  const page = await open();
  const buttons = page.locator('#scenarios button');
  await buttons.first().waitFor({ timeout: 60_000 });
  const count = await buttons.count();
  const last = buttons.nth(count - 1);
  const stem = await last.getAttribute('data-stem');
  await last.click();
  await page.locator('#result h2', { hasText: stem }).waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('#error-panel').count(), 0, 'an error panel is shown');
  await page.screenshot({ path: join(screenshots, `scenario-${stem}.png`), fullPage: true });
  await page.close();
});

test('a panic shows the error panel, not a blank page', async () => {
  const page = await open('?debug-panic');
  const panel = page.locator('#error-panel');
  await panel.waitFor({ state: 'visible', timeout: 60_000 });
  assert.match(await panel.innerText(), /monscope crashed: .*debug-panic/s);
  await page.screenshot({ path: join(screenshots, 'panic.png'), fullPage: true });
  await page.close();
});
