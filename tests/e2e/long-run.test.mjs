// A long run never blocks the page: the scenario is simulated ahead of the
// playhead in a Web Worker (src/sim_worker.rs) and read back in short slices
// between frames (src/sim_feed.rs), the scrubber shows how far it has got,
// and the playhead can go anywhere simulated at once. Asserted: no task of
// over 50 ms of its own CPU on the main thread while a one-hour scenario
// loads (the issue's budget, robust to a loaded machine; the long tasks'
// wall time is reported), the scrubber fills,
// a seek lands where it was sent, the page's wasm memory stays within 200 MB
// (the issue's aim). Reported (README, Performance, "The page"): each
// built-in's first frame, the hour's load time, seek times and the memory. The hour is pasted as a user pastes it (clipboard,
// Ctrl+A, Ctrl+V), so the browser's own cost of a paste is in the numbers;
// and a long text's view (components/long_text.rs) is tested here too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchHour, launch, newPage, openPage, root, screenshots, seek, url } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
  await browser.context.addInitScript(watch);
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
});
after(async () => {
  await browser?.close();
});

/// Records the main thread's long tasks in `window.longTasks` (ms each) and
/// keeps the app's wasm memory (trunk's TrunkApplicationStarted event).
function watch() {
  window.longTasks = [];
  window.longTaskStarts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.longTasks.push(Math.round(e.duration));
      window.longTaskStarts.push(e.startTime);
    }
  }).observe({ type: 'longtask', buffered: true });
  addEventListener('TrunkApplicationStarted', (e) => {
    window.wasmMemory = e.detail.wasm.memory;
  });
  // When the ring is first drawn, in ms since navigation began.
  new MutationObserver((_, obs) => {
    if (document.querySelector('[data-testid=cluster]')) {
      window.firstFrame = performance.now();
      obs.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
}

/// Puts `text` into the clipboard (the context may read and write it).
const copy = (page, text) => page.evaluate((t) => navigator.clipboard.writeText(t), text);

/// Replaces the text of `el` (the editor's textarea, or the long view) with
/// the clipboard's as a user does: select all, then a real paste (Ctrl+V).
/// fill() types a long text too slowly, and setting the textarea's value
/// makes the browser lay out every line whatever the page does; a paste
/// costs what the page lets it cost (the page intercepts a long one,
/// components/long_text.rs).
async function paste(el) {
  await el.focus();
  await el.page().keyboard.press('Control+a');
  await el.page().keyboard.press('Control+v');
}

const ready = (page) => page.getByTestId('scrubber').evaluate((el) => Number(el.dataset.ready));

test('the first frame of every built-in scenario (reported)', { skip: !!process.env.LONG_ONLY }, async () => {
  const stems = readdirSync(join(root, 'scenarios'))
    .filter((f) => f.endsWith('.mon'))
    .map((f) => f.slice(0, -4));
  const times = [];
  for (const stem of stems) {
    const page = await openPage(browser.context, `?scenario=${stem}`);
    times.push([stem, await page.evaluate(() => window.firstFrame)]);
    assert.deepEqual(page.errors, [], stem);
    await page.close();
  }
  times.sort((a, b) => b[1] - a[1]);
  console.log(`first frame after load (ms), slowest first: ${times.map(([s, ms]) => `${s} ${ms.toFixed(0)}`).join(', ')}`);
});

test('a one-hour scenario opens at once, its scrubber fills, no task over 50 ms of its own, seeks land', async (t) => {
  const page = await openPage(browser.context, '?scenario=three-mons-start');
  await copy(page, benchHour());
  await page.evaluate(() => {
    window.longTasks.length = 0;
    window.longTaskStarts.length = 0;
  });
  const t0 = Date.now();
  // A paste, as the user's: the page takes the text from the event and
  // never puts it into the textarea (components/long_text.rs).
  await paste(page.getByTestId('editor'));
  await page.waitForFunction(() => document.querySelector('[data-testid=scrubber]').max === '3610000000');
  const opened = Date.now() - t0;
  // When the hour was first shown (page time): the paste's tasks end there.
  const shown = await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now()))));
  // The main thread's tasks from here until the hour is loaded, with their
  // own CPU time (a Chrome trace): what the page asks of the thread, apart
  // from the time a loaded machine keeps it waiting for a core.
  const tracing = await traceTasks(page);
  // The scrubber fills as the hour is simulated.
  const fills = [await ready(page)];
  await page.getByTestId('play').click();
  const end = 3_610_000_000;
  while (fills.at(-1) < end) {
    await page.waitForTimeout(250);
    fills.push(await ready(page));
    if (fills.length === 8) await page.screenshot({ path: join(screenshots, 'long-run-filling.png') });
    assert.ok(Date.now() - t0 < 15 * 60_000, `the hour was not simulated in 15 minutes: ${fills.at(-1)}`);
  }
  const loaded = Date.now() - t0;
  const tasks = await tracing.end();
  assert.ok(fills.length > 3, 'the scrubber filled in steps');
  for (let i = 1; i < fills.length; i++) assert.ok(fills[i] >= fills[i - 1], `the fill went back: ${fills}`);
  const filling = await page.getByTestId('scrubber').evaluate((el) => el.classList.contains('filling'));
  assert.equal(filling, false, 'a whole run shows no fill line');
  const [longTasks, starts] = await page.evaluate(() => [window.longTasks, window.longTaskStarts]);
  const loading = longTasks.filter((_, i) => starts[i] >= shown);
  const pasted = longTasks.filter((_, i) => starts[i] < shown);
  const list = (l) => (l.length ? `${l.length} (max ${Math.max(...l)} ms): ${l.join(', ')} ms` : 'none');
  const cpu = tasks.map((t) => t.cpu).sort((a, b) => b - a);
  const heavy = tasks.filter((t) => t.cpu > 50).map((t) => `${t.cpu} ms of CPU in ${t.wall}`);
  console.log(
    `one hour (36,000 writes): shown after ${opened} ms, simulated in ${(loaded / 1000).toFixed(1)} s; ` +
      `long tasks while it loads ${list(loading)}; before it was shown (the paste) ${list(pasted)}; ` +
      `the main thread's ${tasks.length} tasks while it loads, the most CPU: ${cpu.slice(0, 5).join(', ')} ms`,
  );
  // The issue's budget, while the hour is simulated (in a Web Worker,
  // src/sim_worker.rs) and read back in slices of a few ms. The paste's own
  // input task (the page taking a megabyte of text from the clipboard; the
  // long view, components/long_text.rs, keeps it out of the textarea) is
  // reported above and left out: the tasks counted are those that began
  // after the first frame that shows the hour's length. Asserted on the
  // tasks' own CPU time: their wall time (the long tasks above, reported)
  // is the machine's as much as the page's; at load 7 and more a task of
  // 2 ms of CPU was seen to take 58 ms (README, "The page").
  await t.test('no task of over 50 ms of its own on the main thread while it loads', () =>
    assert.deepEqual(heavy, [], `tasks of ${heavy.join(', ')} ms`),
  );
  await page.getByTestId('play').click();
  // The memory once the hour is read, before the seeks (a seek back makes
  // the IndexedDB journal replay the page's own simulator, src/store/journal.rs).
  const loadedWasm = await page.evaluate(() => window.wasmMemory?.buffer.byteLength ?? 0);
  const seeking = await page.evaluate(() => window.longTasks.length);

  // Seek anywhere, forwards and back (a seek back late in the hour makes
  // the journal start over from the trace, src/store/journal.rs): the clock
  // shows the time asked for at the next frame.
  const seeks = [];
  const times = [3_000_000_000, 61_000_000, 1_800_500_000, 3_609_000_000, 7_000_000, 2_500_000_000, 900_000_000];
  for (const t of [...times, 3_300_000_000, 120_000_000, 2_000_000_000, 3_500_000_000, 1_200_000_000]) {
    seeks.push(
      await page.getByTestId('scrubber').evaluate(
        (el, v) =>
          new Promise((resolve) => {
            const start = performance.now();
            el.value = String(v);
            el.dispatchEvent(new Event('input', { bubbles: true }));
            requestAnimationFrame(() => {
              const clock = document.querySelector('[data-testid=clock]').dataset.t;
              resolve({ ms: performance.now() - start, clock });
            });
          }),
        t,
      ),
    );
    assert.equal(seeks.at(-1).clock, String(t), 'the seek landed');
  }
  const ms = seeks.map((s) => s.ms).sort((a, b) => a - b);
  console.log(
    `seek in the hour (ms, to the next frame): ${seeks.map((s) => s.ms.toFixed(1)).join(', ')}; ` +
      `min ${ms[0].toFixed(1)}, median ${((ms[5] + ms[6]) / 2).toFixed(1)}, max ${ms.at(-1).toFixed(1)}`,
  );
  // What follows the seeks (the IndexedDB journal catching up, src/store/persist.rs).
  await page.waitForTimeout(2000);
  const after = await page.evaluate((from) => window.longTasks.slice(from), seeking);
  console.log(`long tasks during and after the seeks: ${list(after)}`);

  const memory = await page.evaluate(() => ({
    wasm: window.wasmMemory?.buffer.byteLength ?? 0,
    js: performance.memory?.usedJSHeapSize ?? 0,
    glue: document.querySelector('link[rel=modulepreload]')?.href,
  }));
  // The worker's own: its instance of the page's module (the glue's init,
  // called again, returns the instance it made).
  const worker = page.workers().find((w) => w.url().endsWith('sim-worker.js'));
  const workerWasm = await worker?.evaluate(async (glue) => (await (await import(glue)).default()).memory.buffer.byteLength, memory.glue);
  // The painters' (src/sim_feed.rs, Painter: sim-worker.js#dots, #arrows), started with the page.
  const painters = [];
  for (const w of page.workers().filter((w) => /sim-worker\.js#/.test(w.url()))) {
    painters.push(`${w.url().split('#')[1]} ${((await w.evaluate(async (glue) => (await (await import(glue)).default()).memory.buffer.byteLength, memory.glue)) / 1048576).toFixed(0)} MB`);
  }
  const mb = (b) => (b / 1048576).toFixed(0);
  console.log(
    `memory of the hour: wasm ${mb(memory.wasm)} MB (its peak; ${mb(loadedWasm)} MB once loaded, before the seeks) + JS heap ${mb(memory.js)} MB; ` +
      `the simulation worker's wasm ${workerWasm === undefined ? 'not found' : `${mb(workerWasm)} MB`}; the painters' ${painters.join(', ') || 'none'}`,
  );
  // The issue's aim, asserted: the page's wasm memory at its peak (memory
  // never shrinks), the hour loaded and sought through (README, "The page").
  await t.test('the page holds the hour in at most 200 MB of wasm memory', () =>
    assert.ok(memory.wasm <= 200 * 1048576, `${mb(memory.wasm)} MB`),
  );
  await page.screenshot({ path: join(screenshots, 'long-run.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

/// Starts a Chrome trace of `page`'s tasks (CDP `Tracing`, category
/// `toplevel`); `end()` stops it and returns the page's main-thread tasks,
/// each `{ wall, cpu }` in whole ms (its own thread time, `tdur`).
async function traceTasks(page) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', { categories: 'toplevel', transferMode: 'ReportEvents' });
  return {
    end: async () => {
      await cdp.send('Tracing.end');
      await complete;
      await cdp.detach();
      const names = {};
      for (const e of events) if (e.name === 'thread_name') names[`${e.pid}:${e.tid}`] = e.args.name;
      const byThread = {};
      for (const e of events) {
        const k = `${e.pid}:${e.tid}`;
        if (names[k] === 'CrRendererMain' && e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask') (byThread[k] ||= []).push(e);
      }
      // The page's renderer: the busiest main thread traced.
      const main = Object.values(byThread).sort((a, b) => b.length - a.length)[0] || [];
      return main.map((e) => ({ wall: Math.round(e.dur / 1000), cpu: Math.round((e.tdur || 0) / 1000) }));
    },
  };
}

/// What the page shows of `stem` at `t`: the ring and the event log.
async function shown(page, t) {
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=scrubber]');
    return s.dataset.ready === s.max;
  });
  await seek(page, t);
  return {
    ring: await page.getByTestId('cluster').evaluate((el) => el.textContent),
    log: await page.getByTestId('event-log').evaluate((el) => el.textContent),
  };
}

test('without a Web Worker the page simulates in its own thread and shows the same run', async () => {
  const stem = 'leader-failover';
  const t = 45_000_000;
  const withWorker = await openPage(browser.context, `?scenario=${stem}`);
  const expected = await shown(withWorker, t);
  await withWorker.close();
  const page = await newPage(browser.context);
  // As in a browser without module workers: the page's own simulator runs.
  await page.addInitScript(() => {
    window.Worker = undefined;
  });
  await page.goto(new URL(`?scenario=${stem}`, url).href);
  await page.getByTestId('cluster').waitFor({ state: 'visible', timeout: 60_000 });
  assert.equal(await page.evaluate(() => typeof window.Worker), 'undefined');
  const got = await shown(page, t);
  assert.ok(got.log.length > 100, 'the event log shows the run');
  assert.deepEqual(got, expected);
  assert.deepEqual(page.errors, []);
  await page.close();
});

/// `n` client writes, one a 100 ms, then the end: n + 4 lines.
function writes(n) {
  let s = 'title "long"\nmons a b c\nseed 1\n';
  for (let i = 0; i < n; i++) s += `at ${10_000 + i * 100}ms write k${i % 100} v${i}\n`;
  return s + `end ${10 + n / 10}s\n`;
}

test('a long scenario: only the lines in view are drawn, a line is edited, its error marked', async () => {
  const page = await openPage(browser.context, '?scenario=three-mons-start');
  const scrubberMax = () => page.getByTestId('scrubber').evaluate((el) => el.max);
  await copy(page, writes(3000));
  await paste(page.getByTestId('editor'));
  await page.waitForFunction(() => document.querySelector('[data-testid=scrubber]').max === '310000000');
  // The paste never went into a textarea: the long view shows the text.
  const editor = page.getByTestId('editor');
  assert.equal(await editor.evaluate((el) => el.tagName), 'DIV');
  assert.equal(await editor.getAttribute('data-lines'), '3005');
  const view = page.locator('.lines');
  const drawn = () => view.locator('.row').evaluateAll((rows) => rows.map((r) => Number(r.dataset.line)));
  let rows = await drawn();
  assert.ok(rows.length < 60, `${rows.length} rows drawn for 3,005 lines`);
  assert.deepEqual(rows.slice(0, 3), [1, 2, 3]);
  assert.equal(await view.locator('.row').nth(3).textContent(), 'at 10000ms write k0 v0');
  await page.screenshot({ path: join(screenshots, 'long-text.png') });

  // Scrolled to the middle, the rows there are drawn and the first ones gone.
  await view.evaluate((el) => (el.scrollTop = 16 * 1500));
  await page.waitForFunction(() => document.querySelector('.lines .row[data-line="1505"]'));
  rows = await drawn();
  assert.ok(!rows.includes(1) && rows.length < 60, `rows drawn after the scroll: ${rows}`);

  // A click on a row edits that line; a broken line's error is marked there.
  await view.locator('.row[data-line="1505"]').click();
  const line = page.getByTestId('line-editor');
  assert.equal(await line.inputValue(), 'at 160100ms write k1 v1501');
  await line.press('End');
  await line.pressSequentially(' junk');
  const error = page.getByTestId('scenario-error');
  await error.waitFor();
  assert.equal(await error.getAttribute('data-line'), '1505');
  await line.press('Escape');
  const marked = view.locator('.row.has-error');
  assert.equal(await marked.getAttribute('data-line'), '1505');
  assert.equal(await marked.locator('mark').textContent(), 'junk ');
  await page.screenshot({ path: join(screenshots, 'long-text-error.png') });
  // Fixed, and the run follows an edit: the last line ends the run later.
  await view.locator('.row[data-line="1505"]').click();
  await line.fill('at 160100ms write k1 v1501');
  await error.waitFor({ state: 'detached' });
  await page.getByLabel('edit line').fill('3004');
  await page.getByLabel('edit line').press('Enter');
  assert.equal(await line.inputValue(), 'end 310s');
  await line.fill('end 320s');
  await page.waitForFunction(() => document.querySelector('[data-testid=scrubber]').max === '320000000');
  await line.press('Escape');
  assert.equal(await scrubberMax(), '320000000');

  // A long text opened with an error far from the top: its line is
  // scrolled into view and marked.
  const broken = writes(3000).replace('write k99 v2499\n', 'write k99 v2499 junk\n');
  await copy(page, broken);
  await paste(view);
  await page.waitForFunction(() => document.querySelector('.lines .row.has-error[data-line="2503"]'));
  const seen = await view.evaluate((el) => {
    const row = el.querySelector('.row.has-error').getBoundingClientRect();
    const box = el.getBoundingClientRect();
    return row.top >= box.top && row.bottom <= box.bottom;
  });
  assert.ok(seen, 'the line of the error is in view');
  await page.screenshot({ path: join(screenshots, 'long-text-opened-with-error.png') });

  // The copy button, and select-all and copy in the view, put the whole
  // text into the clipboard.
  const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
  await copy(page, '');
  await page.getByTestId('copy-text').click();
  assert.equal(await clipboard(), broken);
  await copy(page, '');
  await view.focus();
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Control+c');
  assert.equal(await clipboard(), broken);

  // The whole text, when asked for, is one textarea again.
  await page.getByRole('button', { name: 'Edit the whole text…' }).click();
  assert.equal(await page.getByTestId('editor').inputValue(), broken);
  await page.getByRole('button', { name: 'Show only the lines in view' }).click();
  assert.equal(await page.getByTestId('editor').getAttribute('data-lines'), '3005');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a text edited while the worker simulates replaces its run: nothing of the old one is shown', async () => {
  const page = await openPage(browser.context, '?scenario=three-mons-start');
  await copy(page, benchHour());
  await paste(page.getByTestId('editor'));
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=scrubber]').dataset.ready) > 20_000_000);
  // The hour is being simulated; another text replaces it.
  await copy(page, 'mons a b c\nseed 5\nat 5s kill a\nend 40s\n');
  await paste(page.getByTestId('editor'));
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid=scrubber]');
    return el.max === '40000000' && el.dataset.ready === '40000000';
  });
  // Batches of the hour still on their way would add its monitors d and e.
  await page.waitForTimeout(1000);
  assert.equal(await ready(page), 40_000_000);
  const mons = await page.locator('[data-testid^="mon-"]').evaluateAll((els) => els.map((e) => e.dataset.testid).sort());
  assert.deepEqual(mons, ['mon-a', 'mon-b', 'mon-c']);
  assert.deepEqual(page.errors, []);
  await page.close();
});
