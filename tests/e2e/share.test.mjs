// Share links: the browser and the CLI make the same link; opening one
// reproduces the CLI's run at the playhead; bad and hostile links show the
// error panel and inject nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { launch, newPage, cli, scenarioFile, cliState, root, url, screenshots } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const NETSPLIT = `title "A netsplit — ü ✓"
describe "Five monitors; a and b are split from c, d and e."
mons a b c d e
seed 4
at 10s partition a b | c d e
at 10s note "The network splits."
at 60s heal
end 90s
`;

async function openLink(link) {
  const page = await newPage(browser.context);
  await page.goto(link);
  await page.getByTestId('cluster').waitFor({ state: 'visible', timeout: 60_000 });
  return page;
}

/// Each monitor's state, election epoch and last_committed as the cluster view shows them.
async function pageState(page) {
  const mons = await page.locator('[data-testid^="mon-"]').evaluateAll((els) =>
    Object.fromEntries(
      els.map((e) => [
        e.getAttribute('data-testid').slice(4),
        { state: e.getAttribute('data-state'), epoch: e.getAttribute('data-epoch'), lc: e.getAttribute('data-lc') },
      ]),
    ),
  );
  const leader = Object.keys(mons).find((n) => mons[n].state === 'leader') ?? null;
  // The leader's quorum, as the inspector shows it for the selected monitor.
  let quorum = [];
  if (leader) {
    await page.getByTestId(`inspect-${leader}`).click();
    await page.locator(`[data-testid="inspector-body"][data-mon="${leader}"]`).waitFor();
    quorum = (await page.locator('[data-field="monitor.quorum"]').innerText()).trim().split(' ');
  }
  return {
    mons,
    leader,
    quorum,
    epoch: leader ? Number(mons[leader].epoch) : Math.max(...Object.values(mons).map((m) => Number(m.epoch))),
  };
}

test('the Share button makes the same link as `monscope link`', async () => {
  const file = scenarioFile(NETSPLIT);
  const page = await openLink(cli('link', file, '--base', url).trim());
  assert.equal(await page.getByTestId('editor').inputValue(), NETSPLIT);
  // A playhead and a selection.
  await page.getByTestId('scrubber').evaluate((el) => {
    el.value = '35125000';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.getByTestId('mon-c').click();
  await page.getByTestId('share').click();
  const browserLink = await page.getByTestId('share-link').inputValue();
  const cliLink = cli('link', file, '--base', url, '--t', '35.125', '--sel', 'c').trim();
  assert.equal(browserLink, cliLink);
  // A text typed in the editor, too.
  const typed = 'title "typed"\nmons x y z\nat 2s kill x\nat 3s note "x is gone — ø"\n';
  await page.getByTestId('editor').fill(typed);
  await page.getByTestId('mon-z').waitFor();
  await page.getByTestId('scrubber').evaluate((el) => {
    el.value = '0';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.getByTestId('share').click();
  assert.equal(
    await page.getByTestId('share-link').inputValue(),
    // The selection is kept by rank across edits: rank 2 is now z.
    cli('link', scenarioFile(typed), '--base', url, '--t', '0', '--sel', 'z').trim(),
  );
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('opening a link shows the state `monscope run --until t` reports', async () => {
  const file = scenarioFile(NETSPLIT);
  for (const t of ['19.1', '35', '61.5']) {
    const want = cliState(file, `${t}s`);
    const sel = want.leader ?? 'a';
    const page = await openLink(cli('link', file, '--base', url, '--t', t, '--sel', sel).trim());
    assert.equal(await page.getByTestId('clock').getAttribute('data-t'), String(Math.round(Number(t) * 1e6)));
    assert.equal(await page.getByTestId(`inspect-${sel}`).getAttribute('aria-pressed'), 'true', 'sel= is not selected');
    const got = await pageState(page);
    assert.equal(got.leader, want.leader, `leader at ${t}s`);
    assert.deepEqual(got.quorum, want.quorum, `quorum at ${t}s`);
    assert.equal(got.epoch, want.epoch, `epoch at ${t}s`);
    for (const [name, m] of Object.entries(want.mons)) {
      assert.deepEqual(got.mons[name], { state: m.state, epoch: m.epoch, lc: m.lc }, `mon.${name} at ${t}s`);
    }
    console.log(`at ${t}s: leader ${got.leader}, quorum ${got.quorum.join(' ')}, epoch ${got.epoch} (as the CLI)`);
    if (t === '35') await page.screenshot({ path: join(screenshots, 'share-opened.png') });
    assert.deepEqual(page.errors, []);
    await page.close();
  }
  // The spec's example link.
  const page = await openLink(new URL('#s1=y83PK1ZIVEhSSOYCAA&t=12.5', url).href);
  assert.equal(await page.getByTestId('editor').inputValue(), 'mons a b c\n');
  assert.equal(await page.getByTestId('clock').getAttribute('data-t'), '12500000');
  await page.close();
});

test('a shared built-in scenario opens as that built-in, not as "(your own)"', async () => {
  const link = cli('link', join(root, 'scenarios', 'leader-failover.mon'), '--base', url, '--t', '44.05').trim();
  const page = await openLink(link);
  const picked = page.getByTestId('scenario-picker').locator('option:checked');
  assert.equal(await picked.getAttribute('data-stem'), 'leader-failover');
  assert.equal(await picked.innerText(), 'Leader failure and lease timeouts');
  assert.equal(await page.getByTestId('tour-start').count(), 1, 'its tour is offered');
  // Edited, it is the reader's own.
  await page.getByTestId('editor').fill('mons a b c\n');
  await page.getByTestId('scenario-picker').locator('option:checked', { hasText: '(your own)' }).waitFor({ state: 'attached' });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a link pasted into an open tab opens it (only the fragment changes: no load of its own)', async () => {
  const page = await openLink(url);
  await page.getByTestId('mon-c').waitFor();
  await page.goto(cli('link', scenarioFile(NETSPLIT), '--base', url, '--t', '12').trim());
  await page.getByTestId('mon-e').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=clock][data-t="12000000"]').waitFor();
  assert.match(await page.getByTestId('editor').inputValue(), /^title "A netsplit — ü ✓"/);
  // Opened as a fresh load opens it: the link leaves the address.
  await page.waitForFunction(() => location.hash === '');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the built-in scenarios other than the first are fetched: picked, named by ?scenario=, or missing', async () => {
  const file = (stem) => readFileSync(join(root, 'scenarios', `${stem}.mon`), 'utf8');
  const page = await newPage(browser.context);
  await page.goto(url);
  const picker = page.getByTestId('scenario-picker');
  // The titles are listed without their texts.
  assert.equal(await picker.locator('option[data-stem="leader-failover"]').innerText(), 'Leader failure and lease timeouts');
  // Picked: fetched from dist/scenarios/ and shown as that built-in.
  await picker.selectOption({ label: 'Leader failure and lease timeouts' });
  const editorHolds = (text) => page.waitForFunction((t) => document.querySelector('[data-testid=editor]')?.value === t, text);
  await editorHolds(file('leader-failover'));
  assert.equal(await picker.locator('option:checked').getAttribute('data-stem'), 'leader-failover');
  // Named by the address: fetched before the app starts.
  await page.goto(new URL('?scenario=clock-skew', url).href);
  await editorHolds(file('clock-skew'));
  assert.equal(await picker.locator('option:checked').getAttribute('data-stem'), 'clock-skew');
  assert.deepEqual(page.errors, []);
  // A server without the file, or with another version of it: a notice,
  // and nothing replaced (the address: the stored session comes back, as
  // for any refused link; a pick: the text stays).
  await page.route('**/scenarios/peon-restart.mon', (r) => r.fulfill({ status: 404, body: 'not found' }));
  await page.route('**/scenarios/late-joiner.mon', (r) => r.fulfill({ status: 200, body: 'mons a b c\n' }));
  await page.goto(new URL('?scenario=peon-restart', url).href);
  await page.getByTestId('link-error').waitFor({ timeout: 10_000 });
  assert.match(
    await page.getByTestId('link-error-message').innerText(),
    /^The built-in scenario "peon-restart" could not be fetched from the page's server \(\.\/scenarios\/peon-restart\.mon\)\.$/,
  );
  assert.ok((await page.locator('[data-testid^="mon-"]').count()) >= 3, 'a scenario is shown');
  await page.getByTestId('link-dismiss').click();
  const shown = await page.getByTestId('editor').inputValue();
  await picker.selectOption({ label: await picker.locator('option[data-stem="late-joiner"]').innerText() });
  await page.getByTestId('action-error').waitFor();
  assert.match(await page.getByTestId('action-error').locator('span').innerText(), /^The built-in scenario "late-joiner" on the page's server .* is another version of it: reload the page\.$/);
  assert.equal(await page.getByTestId('editor').inputValue(), shown);
  await page.close();
});

const b64url = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/// The payload of `link` with one bit flipped in its compressed bytes.
function flipped(link) {
  const payload = link.split('#s1=')[1].split('&')[0];
  const bytes = Buffer.from(payload.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  bytes[Math.floor(bytes.length / 2)] ^= 0x10;
  return b64url(bytes);
}

/// Nothing a hostile link carried became an element or ran.
async function assertNothingInjected(page) {
  await page.waitForTimeout(300);
  assert.equal(await page.locator('#pwned, img[src="x"], b.pwned').count(), 0, 'an injected element exists');
  assert.equal(await page.locator('#app script').count(), 0, 'a script element exists in the app');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'injected script ran');
}

test('bad and hostile links show the error panel and inject nothing', async () => {
  const hostile =
    'title "<img id=pwned src=x onerror=\\"window.__pwned=1\\">"\n' +
    'mons a b c\n' +
    'at 2s note "<script>window.__pwned=2</script>"\n';
  const good = cli('link', scenarioFile(NETSPLIT), '--base', url).trim();
  const cases = [
    ['markup in a title or note', cli('link', scenarioFile(hostile), '--base', url).trim(), /contains markup on line 1 \(<img id=pwned/],
    ['markup in a key', cli('link', scenarioFile('mons a b c\nat 1s write <b>k</b> v\n'), '--base', url).trim(), /not valid: line 2|markup on line 2/],
    ['markup in sel', `${good}&sel=<b class=pwned>x</b>`, /^Bad sel="/],
    ['script as payload', new URL('#s1=<script>window.__pwned=3</script>', url).href, /damaged: bad base64 at position 1/],
    ['truncated', good.slice(0, good.length - 9), /damaged/],
    ['oversized URL', new URL(`#s1=${'A'.repeat(100_000)}`, url).href, /too long/],
    ['a text that inflates past 64 KiB', new URL(`#s1=${b64url(deflateRawSync(Buffer.from('#'.repeat(70_000))))}`, url).href, /too large: it inflates past 64 KiB/],
    ['not a scenario', new URL(`#s1=${b64url(deflateRawSync(Buffer.from('hello world\n')))}`, url).href, /not valid: line 1/],
    ['unknown version', new URL('#s7=abc', url).href, /unknown format "s7"/],
    ['a flipped bit', new URL(`#s1=${flipped(good)}`, url).href, /damaged|not valid/],
    ['not UTF-8 text', new URL(`#s1=${b64url(deflateRawSync(Buffer.from([0x6d, 0xff, 0xfe, 0x0a])))}`, url).href, /not valid UTF-8 text/],
    ['a reserved DEFLATE block type', new URL(`#s1=${b64url(Buffer.from([0x07, 0, 0]))}`, url).href, /not valid DEFLATE data/],
    ['a bad playhead', `${good}&t=forever`, /^Bad t="forever" in the link/],
    ['s1 given twice', `${good}&${good.split('#')[1]}`, /gives "s1" twice/],
    ['an unknown built-in scenario', new URL('?scenario=<b class=pwned>x</b>', url).href, /^There is no built-in scenario "<b class=pwned>x<\/b>"\. The built-in scenarios are: three-mons-start, /],
  ];
  for (const [what, link, message] of cases) {
    const page = await openLink(link);
    const panel = page.getByTestId('link-error');
    await panel.waitFor({ timeout: 10_000 });
    const text = await page.getByTestId('link-error-message').innerText();
    assert.match(text, message, `${what}: ${text}`);
    await assertNothingInjected(page);
    // The default scenario is shown, and the page works.
    assert.ok((await page.locator('[data-testid^="mon-"]').count()) >= 3, what);
    if (what === 'markup in a title or note') {
      await page.screenshot({ path: join(screenshots, 'link-error.png') });
      // Opened anyway, the title and note are text.
      await page.getByTestId('link-open-anyway').click();
      await panel.waitFor({ state: 'detached' });
      assert.match(await page.locator('.tagline').innerText(), /^<img id=pwned src=x onerror=/);
      await page.getByTestId('scrubber').evaluate((el) => {
        el.value = '2500000';
        el.dispatchEvent(new Event('input', { bubbles: true }));
      });
      assert.equal(await page.getByTestId('caption').innerText(), '<script>window.__pwned=2</script>');
      await assertNothingInjected(page);
      await page.screenshot({ path: join(screenshots, 'link-opened-as-text.png') });
    } else {
      await page.getByTestId('link-dismiss').click();
      await panel.waitFor({ state: 'detached' });
    }
    assert.deepEqual(page.errors, [], what);
    await page.close();
  }
});

test('a link to a runaway scenario opens, says where its budget stopped it, and the page works', async () => {
  // A tick every microsecond: a timer storm in the first second.
  const storm = 'mons a b c\nset mon_tick_interval 0.000001\nend 1m\n';
  const page = await openLink(cli('link', scenarioFile(storm), '--base', url).trim());
  const stopped = page.getByTestId('run-stopped');
  await stopped.waitFor({ timeout: 60_000 });
  assert.match(await stopped.innerText(), /^The run stopped at 0\.\d+s: .* events in one second of simulated time .*It is shown up to there\.$/s);
  assert.equal(await page.getByTestId('editor').inputValue(), storm);
  assert.equal(await page.locator('[data-testid^="mon-"]').count(), 3);
  // It plays and seeks as any run.
  await page.getByTestId('scrubber').evaluate((el) => {
    el.value = '30000000';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  assert.equal(await page.locator('[data-testid^="mon-"]').count(), 3);
  assert.equal(await page.getByTestId('link-error').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});
