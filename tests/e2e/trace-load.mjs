// A Chrome trace of the one-hour scenario loading while it plays (as
// long-run.test.mjs's "no long task over 50 ms" sees it): from the first frame
// that shows the hour until the scrubber is full, the main thread's tasks over
// 50 ms (wall), their own CPU time and what is in them, and each thread's CPU
// (README, Performance, "The page").
// Not a test: MONSCOPE_URL=http://127.0.0.1:8080/ node tests/e2e/trace-load.mjs [OUT.json]
import fs from 'node:fs';
import { hourReadyToPaste } from './harness.mjs';
const url = process.env.MONSCOPE_URL || 'http://127.0.0.1:8080/';
const out = process.argv[2] || 'trace-load.json';
const { browser: b, page: p } = await hourReadyToPaste(url);
await p.keyboard.press('Control+v');
await p.waitForFunction(() => document.querySelector('[data-testid=scrubber]').max === '3610000000', null, { timeout: 600000 });
// PROFILE=1: sample the main thread instead (CDP Profiler) and print the heaviest functions.
const cdp = process.env.PROFILE ? await p.context().newCDPSession(p) : null;
if (cdp) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
} else await b.startTracing(p, { path: out, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'blink'] });
const t0 = Date.now();
await p.getByTestId('play').click();
await p.waitForFunction(() => document.querySelector('[data-testid=scrubber]').dataset.ready === '3610000000', null, { timeout: 900000 });
const loaded = Date.now() - t0;
await p.getByTestId('play').click();
if (cdp) {
  const { profile } = await cdp.send('Profiler.stop');
  await b.close();
  const self = {};
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const k = n.callFrame.functionName || `(${n.callFrame.url.split('/').pop() || 'anonymous'})`;
    self[k] = (self[k] || 0) + (profile.timeDeltas[i] || 0) / 1000;
  }
  console.log(Object.entries(self).sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, v]) => `  ${v.toFixed(0)} ${k}`).join('\n'));
  process.exit(0);
}
await b.stopTracing();
await b.close();
const ev = JSON.parse(fs.readFileSync(out)).traceEvents;
const threads = {};
for (const e of ev) if (e.name === 'thread_name') threads[`${e.pid}:${e.tid}`] = e.args.name;
const on = (name) => ev.filter((e) => threads[`${e.pid}:${e.tid}`] === name && e.ph === 'X' && e.dur);
const main = on('CrRendererMain');
const tasks = main.filter((e) => e.name === 'ThreadControllerImpl::RunTask');
const long = tasks.filter((e) => e.dur > 50000).sort((a, b) => b.dur - a.dur);
console.log(`loaded in ${loaded} ms; main-thread tasks ${tasks.length}, over 50 ms: ${long.length}`);
for (const t of long.slice(0, 12)) {
  const inside = {};
  for (const e of main) if (e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && !/RunTask/.test(e.name)) inside[e.name] = Math.max(inside[e.name] || 0, e.dur / 1000);
  const top = Object.entries(inside).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
  console.log(`  ${(t.dur / 1000).toFixed(0)} ms (CPU ${((t.tdur || 0) / 1000).toFixed(0)}): ${top}`);
}
const cpu = {};
for (const e of ev) {
  const n = threads[`${e.pid}:${e.tid}`];
  if (e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && n) cpu[n] = (cpu[n] || 0) + (e.tdur || 0) / 1000;
}
console.log('CPU by thread (ms): ' + Object.entries(cpu).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '));
const longest = [...tasks].sort((a, b) => b.tdur - a.tdur).slice(0, 5).map((t) => (t.tdur / 1000).toFixed(0));
console.log(`main thread's longest tasks by CPU: ${longest.join(', ')} ms`);
