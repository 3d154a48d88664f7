// A long run of fifteen monitors on the page: its budget stops it where its
// trace reaches the bytes a run may have (crates/core/src/sim/weight.rs), the
// page says so above the ring, and stays responsive and bounded while it
// simulates and after (README "Every run ends"). Before the byte limit the
// run went on to 3,774 s and five million events of 5 kB pings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, cli, scenarioFile, url, seek } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
  await browser.context.addInitScript(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.longTasks.push(Math.round(e.duration));
    }).observe({ type: 'longtask', buffered: true });
    addEventListener('TrunkApplicationStarted', (e) => {
      window.wasmMemory = e.detail.wasm.memory;
    });
  });
});
after(async () => {
  await browser?.close();
});

test('fifteen monitors left running stop at the bytes of a run, and the page says so and works', async () => {
  const text = 'mons a b c d e f g h i j k l m n o\nend 100000m\n';
  const page = await newPage(browser.context);
  const t0 = Date.now();
  await page.goto(cli('link', scenarioFile(text), '--base', url).trim());
  await page.getByTestId('cluster').waitFor({ state: 'visible', timeout: 60_000 });
  const stopped = page.getByTestId('run-stopped');
  await stopped.waitFor({ timeout: 15 * 60_000 });
  const took = Date.now() - t0;
  const why = await stopped.innerText();
  assert.match(
    why,
    /^The run stopped at (\d+\.\d+)s: the run's trace reached 2000 MB of JSON in \d+ k events \(the budget of a run is 2000 MB\): mostly the elector's pings \(\d+%\).*; shorten it with an earlier `end`\. It is shown up to there\.$/s,
  );
  const at = Number(why.match(/stopped at (\d+)\.(\d+)s/).slice(1).join('.'));
  // The CLI stops the same run at the same instant.
  let cliSaid = '';
  try {
    cli('check', scenarioFile(text));
  } catch (e) {
    assert.equal(e.status, 3);
    cliSaid = e.stdout;
  }
  assert.ok(cliSaid.includes(`STOPPED `) && cliSaid.includes(`stopped at ${why.match(/stopped at (\S+)s/)[1]}s`), cliSaid);
  // The scrubber and the clock end at the stop, not at the scenario's
  // 6,000,000 s; seeks land, and the ring keeps its fifteen.
  assert.ok(at > 600, why);
  const endUs = Number(await page.locator('input.scrubber').getAttribute('max'));
  assert.ok(Math.abs(endUs / 1e6 - at) < 0.001, `scrubber ends at ${endUs} µs, the run stopped at ${at} s`);
  const clockEnd = await page.locator('[data-testid=clock] .end').innerText();
  const ms = String(Math.floor(endUs / 1000) % 1000).padStart(3, '0');
  assert.equal(clockEnd.trim(), `/ ${Math.floor(endUs / 1e6)}.${ms} s`);
  for (const t of [300_000_000, 5_000_000, 600_000_000]) await seek(page, t);
  assert.equal(await page.locator('[data-testid^="mon-"]').count(), 15);
  const memory = await page.evaluate(() => ({
    wasm: window.wasmMemory?.buffer.byteLength ?? 0,
    js: performance.memory?.usedJSHeapSize ?? 0,
    long: window.longTasks,
  }));
  const mb = (b) => (b / 1048576).toFixed(0);
  console.log(
    `fifteen monitors: stopped at ${at}s after ${(took / 1000).toFixed(1)} s; page wasm ${mb(memory.wasm)} MB, JS heap ${mb(memory.js)} MB; ` +
      `long tasks (ms): ${memory.long.length ? memory.long.join(', ') : 'none'}`,
  );
  // Bounded: the page's memory stays within what the one-hour run may take.
  assert.ok(memory.wasm < 400 * 1048576, `wasm ${mb(memory.wasm)} MB`);
  assert.deepEqual(page.errors, []);
  await page.close();
});
