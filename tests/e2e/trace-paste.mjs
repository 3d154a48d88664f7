// A Chrome trace of a real paste (Ctrl+V) of the one-hour scenario into the
// playground's editor: the main thread's tasks over 50 ms, what is in them,
// and the largest style and layout passes (docs/performance.md, "The page").
// Not a test: MONSCOPE_URL=http://127.0.0.1:8080/ node tests/e2e/trace-paste.mjs [OUT.json]
import fs from 'node:fs';
import { hourReadyToPaste } from './harness.mjs';
const url = process.env.MONSCOPE_URL || 'http://127.0.0.1:8080/';
const out = process.argv[2] || 'trace-paste.json';
const { browser: b, page: p } = await hourReadyToPaste(url);
await b.startTracing(p, { path: out, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'blink'] });
const t0 = Date.now();
await p.keyboard.press('Control+v');
await p.waitForFunction(() => document.querySelector('[data-testid=scrubber]').max === '3610000000', null, { timeout: 600000 });
const shown = Date.now() - t0;
await p.waitForTimeout(2000);
await b.stopTracing();
console.log(`shown after ${shown} ms; DOM elements ${await p.evaluate(() => document.querySelectorAll('*').length)}`);
await b.close();
const ev = JSON.parse(fs.readFileSync(out)).traceEvents;
const threads = {};
for (const e of ev) if (e.name === 'thread_name') threads[`${e.pid}:${e.tid}`] = e.args.name;
const main = ev.filter((e) => threads[`${e.pid}:${e.tid}`] === 'CrRendererMain' && e.ph === 'X' && e.dur);
const tasks = main.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && e.dur > 50000).sort((a, b) => b.dur - a.dur);
console.log(`main-thread tasks over 50 ms: ${tasks.length}`);
for (const t of tasks.slice(0, 6)) {
  const inside = {};
  for (const e of main) if (e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && e.name !== 'ThreadControllerImpl::RunTask') inside[e.name] = (inside[e.name] || 0) + e.dur / 1000;
  const top = Object.entries(inside).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
  console.log(`  ${(t.dur / 1000).toFixed(0)} ms: ${top}`);
}
const style = main.filter((e) => e.name === 'UpdateLayoutTree').map((e) => [e.dur / 1000, e.args?.elementCount ?? e.args?.beginData?.elementCount ?? 0]);
const layout = main.filter((e) => e.name === 'Layout').map((e) => [e.dur / 1000, e.args?.endData?.layoutObjects ?? e.args?.beginData?.dirtyObjects ?? 0]);
const big = (xs) => xs.sort((a, b) => b[0] - a[0]).slice(0, 3).map(([ms, n]) => `${ms.toFixed(0)} ms/${n}`).join(', ');
console.log(`UpdateLayoutTree: ${style.length}, most elements ${Math.max(0, ...style.map((x) => x[1]))}, longest ${big(style)}`);
console.log(`Layout: ${layout.length}, most objects ${Math.max(0, ...layout.map((x) => x[1]))}, longest ${big(layout)}`);
