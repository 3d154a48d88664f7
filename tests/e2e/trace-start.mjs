// A Chrome trace of the page's start: from navigation until 3 s after the ring
// is first drawn (a returning visitor's page, the first built-in scenario
// unless SCENARIO=STEM; the default one plays by itself only for a newcomer,
// FIRST=1), each thread's own CPU time (`tdur` of its tasks) and how many
// workers ran: what the page's start costs a 2-core machine, which the load
// does not stretch as it does wall times. RUNS=N repeats it (a fresh browser
// each time). docs/performance.md, "The page".
// Not a test: MONSCOPE_URL=http://127.0.0.1:8080/ node tests/e2e/trace-start.mjs [OUT.json]
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { returning } from './harness.mjs';
const url = process.env.MONSCOPE_URL || 'http://127.0.0.1:8080/';
const out = process.argv[2] || 'trace-start.json';
const path = process.env.SCENARIO ? `?scenario=${process.env.SCENARIO}` : '';
for (let run = 0; run < Number(process.env.RUNS || 1); run++) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 950 } })).newPage();
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  if (!process.env.FIRST) await page.addInitScript(returning);
  await page.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (document.querySelector('[data-testid=cluster]')) {
        window.firstFrame = performance.now();
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await browser.startTracing(page, { path: out, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel'] });
  await page.goto(new URL(path, url).href);
  await page.getByTestId('cluster').waitFor({ timeout: 60_000 });
  await page.waitForTimeout(3000);
  const first = await page.evaluate(() => window.firstFrame);
  await browser.stopTracing();
  await browser.close();
  const ev = JSON.parse(fs.readFileSync(out)).traceEvents;
  const threads = {};
  for (const e of ev) if (e.name === 'thread_name') threads[`${e.pid}:${e.tid}`] = e.args.name;
  // Each thread's top-level events (not inside another of the same thread).
  const cpu = {};
  const workers = new Set();
  const byThread = {};
  for (const e of ev) if (e.ph === 'X' && threads[`${e.pid}:${e.tid}`]) (byThread[`${e.pid}:${e.tid}`] ||= []).push(e);
  for (const [id, list] of Object.entries(byThread)) {
    const n = threads[id];
    const k = n === 'DedicatedWorker thread' ? 'workers' : n;
    if (k === 'workers') workers.add(id);
    list.sort((a, b) => a.ts - b.ts);
    let end = -1;
    for (const e of list) {
      if (e.ts < end) continue;
      end = e.ts + (e.dur || 0);
      cpu[k] = (cpu[k] || 0) + (e.tdur || 0) / 1000;
    }
  }
  delete cpu.PerfettoTrace;
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  const by = Object.entries(cpu).sort((a, b) => b[1] - a[1]).filter(([k]) => k !== 'PerfettoTrace').slice(0, 6).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
  console.log(`first frame ${first.toFixed(0)} ms; workers ${workers.size}, their CPU ${(cpu.workers || 0).toFixed(1)} ms; all threads ${total.toFixed(0)} ms (${by})`);
}
