// The docs demo (static/embed-demo.html) says what the figures show: every
// claim next to a button must hold at the moment the button moves the figure
// to, as the figure's own readout reports it. Nothing here knows when things
// happen in a scenario: the moments come from the page (its MOMENTS), the
// claims from each button's data-expect, the facts from the embed. When the
// simulator or the scenario changes under the page, this test says which
// claim no longer holds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, newPage, cli, scenarioFile, url, screenshots } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function openDemo(page) {
  await page.goto(new URL('embed-demo.html', url).href);
  for (const id of ['failover', 'netsplit']) {
    await page.frameLocator(`#${id}`).getByTestId('embed').waitFor({ state: 'attached', timeout: 60_000 });
  }
  await page.waitForFunction(() => document.getElementById('failover-state').dataset.leader !== undefined);
}

const seekEmbed = (page, t) =>
  page.evaluate((t) => {
    const f = document.getElementById('failover');
    f.contentWindow.postMessage({ type: 'seek', t }, new URL(f.src, location.href).origin);
  }, t);

/// Whether the readout (its data attributes) shows every token of a claim:
/// `b:peon` (a monitor's state), `leader:none`, `quorum:b,c`, `epoch:odd`.
function holds(claim, r) {
  const mons = Object.fromEntries(r.mons.split(' ').filter(Boolean).map((kv) => kv.split(':')));
  return claim.split(' ').every((token) => {
    const [k, v] = token.split(':');
    if (k === 'leader') return r.leader === v;
    if (k === 'quorum') return r.quorum === v;
    if (k === 'epoch') return (Number(r.epoch) % 2 === 1 ? 'odd' : 'even') === v;
    return mons[k] === v;
  });
}

test('every claim in the demo holds at the moment its button seeks to', async () => {
  const page = await newPage(browser.context);
  await openDemo(page);
  const claims = await page.locator('button.drive[data-expect]').evaluateAll((bs) =>
    bs.map((b) => ({ name: b.textContent.replace(/\s+/g, ' ').trim(), t: Number(b.dataset.seek), claim: b.dataset.expect })),
  );
  assert.ok(claims.length >= 4, `only ${claims.length} claims`);
  const failed = [];
  for (const c of claims) {
    assert.ok(Number.isFinite(c.t), `"${c.name}" has no moment (MOMENTS in embed-demo.html)`);
    await seekEmbed(page, c.t);
    await page.waitForFunction(
      (v) => document.getElementById('failover').contentDocument.querySelector('[data-testid=embed-clock]').getAttribute('data-t') === String(v),
      Math.round(c.t * 1e6),
    );
    // The readout follows the embed's state message (posted after it renders).
    let r;
    const start = Date.now();
    do {
      await page.waitForTimeout(100);
      r = await page.locator('#failover-state').evaluate((e) => ({ ...e.dataset, text: e.textContent }));
    } while (!holds(c.claim, r) && Date.now() - start < 3000);
    const ok = holds(c.claim, r);
    console.log(`${ok ? 'holds' : 'FAILS'}: "${c.name}" at ${c.t} s claims ${c.claim}; the readout: ${r.text}`);
    if (!ok) failed.push(`"${c.name}" at ${c.t} s claims ${c.claim}, but the readout says: ${r.text}`);
  }
  assert.deepEqual(failed, [], 'claims of static/embed-demo.html that do not hold (re-tune MOMENTS or the text)');
  // Clicking a button moves the figure there.
  const jump = page.locator('button.drive[data-moment="crash"]');
  await jump.click();
  await page.waitForFunction(
    (v) => document.getElementById('failover').contentDocument.querySelector('[data-testid=embed-clock]').getAttribute('data-t') === String(v),
    Math.round(Number(await jump.getAttribute('data-seek')) * 1e6),
  );
  await page.locator('#failover').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshots, 'demo-crash.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the demo's shared netsplit passes its own expectations and says what comes next", async () => {
  const page = await newPage(browser.context);
  await openDemo(page);
  const src = await page.locator('#netsplit').getAttribute('src');
  const text = cli('decode', src.slice(src.indexOf('#')));
  const report = cli('check', scenarioFile(text));
  assert.match(report, /\d+ passed, 0 failed/, report);
  // Before its first note, the note bar says what the first note is and when.
  const first = cli('run', scenarioFile(text), '--json')
    .split('\n')
    .filter((l) => l.includes('"type":"note"'))
    .map((l) => JSON.parse(l))[0];
  const netsplit = page.frameLocator('#netsplit');
  const next = netsplit.getByTestId('embed-next-note');
  await next.waitFor();
  assert.equal(
    await next.innerText(),
    `Next, at ${(first.at / 1e6).toFixed(3)} s: ${first.text.replaceAll('`', '')}`,
  );
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('under reduced motion the demo does not play by itself and messages are arrows', async () => {
  const page = await newPage(browser.context);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await openDemo(page);
  const netsplit = page.frameLocator('#netsplit');
  await page.locator('#netsplit').scrollIntoViewIfNeeded();
  await netsplit.locator('[data-visible="true"]').waitFor();
  await page.waitForTimeout(1500);
  assert.equal(await netsplit.getByTestId('embed').getAttribute('data-playing'), 'false', 'it played by itself');
  assert.equal(await netsplit.getByTestId('embed-clock').getAttribute('data-t'), '0');
  // Played by the reader, messages show as arrows from sender to receiver.
  await netsplit.getByTestId('embed-play').click();
  await netsplit.locator('[data-testid=msg] line').first().waitFor({ timeout: 20_000 });
  assert.equal(await netsplit.locator('[data-testid=msg] circle').count(), 0, 'a message flies as a dot');
  await page.screenshot({ path: join(screenshots, 'demo-reduced-motion.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});
