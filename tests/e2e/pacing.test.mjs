// Pacing by events: every message a reader follows is on screen long enough
// to be seen, quiet stretches hurry, a tour travels to its next note in a
// few seconds and slows before it, and the timeline opens on the story and
// fits the run or the selection. Wall times are reported; the bounds asserted
// are loose (a loaded machine drops frames), the shapes are not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, seek, cli, root, url, screenshots } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch({ viewport: { width: 1440, height: 900 } });
});
after(async () => {
  await browser?.close();
});

const open = (path = '') => openPage(browser.context, path);


/// The notes of a built-in scenario, from the CLI: [{ at (µs), text }].
const notesOf = (stem) =>
  cli('run', join(root, 'scenarios', `${stem}.mon`), '--json')
    .split('\n')
    .filter((l) => l.includes('"type":"note"'))
    .map((l) => JSON.parse(l));

test('at the default speed every message a reader follows stays on screen about half a second', async () => {
  const page = await open();
  // Watch the ring frame by frame for 3 s of playing from the start.
  const seen = await page.evaluate(
    () =>
      new Promise((resolve) => {
        const first = {};
        const last = {};
        const start = performance.now();
        document.querySelector('[data-testid=play]').click();
        const tick = (now) => {
          for (const m of document.querySelectorAll('[data-testid=msg]')) {
            const ev = m.getAttribute('data-ev');
            first[ev] ??= now;
            last[ev] = now;
          }
          if (now - start < 3000) requestAnimationFrame(tick);
          else resolve(Object.keys(first).map((ev) => ({ ev, ms: last[ev] - first[ev], from: first[ev] - start, to: last[ev] - start })));
        };
        requestAnimationFrame(tick);
      }),
  );
  // Those seen from their start to their end (not cut by the window).
  const whole = seen.filter((s) => s.from > 50 && s.to < 2950);
  assert.ok(whole.length >= 4, `only ${whole.length} whole flights seen`);
  const shortest = Math.min(...whole.map((s) => s.ms));
  console.log(`${whole.length} flights seen whole; the shortest on screen ${shortest.toFixed(0)} ms`);
  assert.ok(shortest >= 350, `a message was on screen only ${shortest.toFixed(0)} ms`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('quiet stretches (pings, lease renewals, time checks) hurry', async () => {
  const page = await open('?scenario=leader-failover');
  // From the first note back 8 s: only periodic traffic until the crash.
  const [crash] = notesOf('leader-failover');
  const from = Math.max(0, crash.at - 8_000_000);
  await seek(page, from);
  const start = Date.now();
  await page.getByTestId('play').click();
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid=clock]').getAttribute('data-t')) >= t, crash.at - 1_000_000, {
    timeout: 60_000,
  });
  const wall = (Date.now() - start) / 1000;
  console.log(`7 s of quiet took ${wall.toFixed(1)} s of wall time (1/20× would take 140 s)`);
  assert.ok(wall < 7, `7 s of quiet took ${wall} s: not hurried`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Next travels to the next note within a few seconds, slowing before it', async () => {
  const page = await open('?scenario=leader-failover');
  const notes = notesOf('leader-failover');
  await page.getByTestId('tour-start').click();
  await page.getByTestId('tour').waitFor();
  const target = notes[0].at;
  const samples = await page.evaluate(
    (target) =>
      new Promise((resolve) => {
        const out = [];
        const start = performance.now();
        document.querySelector('[data-testid=tour-next]').click();
        const tick = (now) => {
          const t = Number(document.querySelector('[data-testid=clock]').getAttribute('data-t'));
          out.push([now - start, t]);
          if (t >= target || now - start > 20_000) resolve(out);
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    target,
  );
  const [ms, t] = samples[samples.length - 1];
  console.log(`Next: ${(target / 1e6).toFixed(2)} s of the run in ${(ms / 1000).toFixed(2)} s of wall time`);
  assert.equal(t, target, 'it stopped at the note');
  assert.ok(ms < 6000, `travelling took ${ms} ms`);
  // The last fifth of the way in wall time covers a sliver of the distance.
  const at = (k) => samples.find(([m]) => m >= ms * k)?.[1] ?? target;
  assert.ok(target - at(0.8) < 0.1 * target, `the last fifth went ${(target - at(0.8)) / 1e6} s of ${target / 1e6}`);
  await page.locator('[data-testid=tour][data-step="1"]').waitFor();
  assert.equal(await page.getByTestId('tour-caption').innerText(), notes[0].text.replaceAll('`', ''));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the timeline opens on the story, and fits the run or the selection', async () => {
  const page = await open('?scenario=leader-failover');
  const area = page.getByTestId('timeline-area');
  const notes = notesOf('leader-failover');
  const last = notes[notes.length - 1].at;
  const end = Number(await page.getByTestId('scrubber').getAttribute('max'));
  // The window follows the story as the run is simulated (state.rs, `grown`):
  // on a slow machine the page is shown long before the last note is.
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=scrubber]');
    return s.dataset.ready === s.max;
  });
  assert.equal(await area.getAttribute('data-win-start'), '0');
  const span = Number(await area.getAttribute('data-win-span'));
  assert.ok(span > last && span < end, `the window is ${span} µs: the notes end at ${last}, the run at ${end}`);
  // Every note is in the first window.
  assert.equal(await page.locator('[data-testid=timeline-svg] .mark.note').count(), notes.length);
  await page.getByTestId('fit-run').click();
  assert.equal(await area.getAttribute('data-win-span'), String(end));
  // Select a message, then fit it.
  assert.ok(await page.getByTestId('fit-selection').isDisabled());
  await area.scrollIntoViewIfNeeded();
  const box = await area.boundingBox();
  const arrow = await page.locator('[data-testid=tl-msg] line').nth(3).boundingBox();
  await page.mouse.click(arrow.x + arrow.width / 2, arrow.y + arrow.height / 2);
  await page.getByTestId('details').waitFor();
  await page.getByTestId('fit-selection').click();
  const w0 = Number(await area.getAttribute('data-win-start'));
  const w = Number(await area.getAttribute('data-win-span'));
  assert.ok(w < end / 100, `fitting the selection left a ${w} µs window`);
  const sel = page.locator('[data-testid=timeline-svg] .arrow.selected line');
  const sb = await sel.boundingBox();
  const title = await page.locator('[data-testid=timeline-svg] .arrow.selected title').textContent();
  assert.ok(sb.x >= box.x - 4 && sb.x + sb.width <= box.x + box.width + 4, `the selected arrow (${title}) at ${JSON.stringify(sb)} is not in the window ${JSON.stringify(box)} (${w0}+${w})`);
  console.log(`fit selection: ${w0}..${w0 + w} µs`);
  await page.screenshot({ path: join(screenshots, 'fit-selection.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});
