// A Chrome trace of five seeks in the one-hour run, once it is loaded and
// never played: where the main thread's time goes (sums by trace event name,
// and each task over 5 ms with what is in it). docs/performance.md, "The page".
// Not a test: MONSCOPE_URL=http://127.0.0.1:8080/ node tests/e2e/trace-seek.mjs [OUT.json]
import fs from 'node:fs';
import { hourReadyToPaste } from './harness.mjs';
const url = process.env.MONSCOPE_URL || 'http://127.0.0.1:8080/';
const out = process.argv[2] || 'trace-seek.json';
const { browser: b, page: p } = await hourReadyToPaste(url);
await p.keyboard.press('Control+v');
await p.waitForFunction(() => document.querySelector('[data-testid=scrubber]').dataset.ready === '3610000000', null, { timeout: 600000 });
await p.waitForTimeout(1500);
// PROFILE=1: sample the main thread instead (CDP Profiler) and print the heaviest functions.
const cdp = process.env.PROFILE ? await p.context().newCDPSession(p) : null;
if (cdp) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
} else await b.startTracing(p, { path: out, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'blink'] });
const seeks = [];
for (const t of [3_000_000_000, 61_000_000, 1_800_500_000, 3_609_000_000, 7_000_000]) {
  seeks.push(await p.getByTestId('scrubber').evaluate((el, v) => new Promise((resolve) => {
    const start = performance.now();
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    requestAnimationFrame(() => resolve(performance.now() - start));
  }), t));
  await p.waitForTimeout(400);
}
if (cdp) {
  const { profile } = await cdp.send('Profiler.stop');
  await b.close();
  const self = {};
  const total = {};
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const name = (n) => n.callFrame.functionName || `(${n.callFrame.url.split('/').pop() || 'anonymous'})`;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] || 0) / 1000;
    const n = byId.get(profile.samples[i]);
    self[name(n)] = (self[name(n)] || 0) + dt;
    const seen = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const k = name(byId.get(id));
      if (!seen.has(k)) total[k] = (total[k] || 0) + dt;
      seen.add(k);
    }
  }
  const top = (o) => Object.entries(o).sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, v]) => `  ${v.toFixed(1)} ${k}`).join('\n');
  const ours = Object.fromEntries(Object.entries(total).filter(([k]) => /monscope_web(\[[0-9a-f]+\])?::(components|app|playback|flights|packed|state|effect|row_keys)|FunctionProvider|RenderRunner|reconcile|Reducible/.test(k)));
  console.log(`seeks ${seeks.map((x) => x.toFixed(1)).join(', ')}\nself (ms):\n${top(self)}\ninclusive (ms):\n${top(total)}\nthe page's own, inclusive (ms):\n${top(ours)}`);
  process.exit(0);
}
await b.stopTracing();
console.log(`seeks ${seeks.map((x) => x.toFixed(1)).join(', ')}; DOM elements ${await p.evaluate(() => document.querySelectorAll('*').length)}`);
await b.close();
const ev = JSON.parse(fs.readFileSync(out)).traceEvents;
const threads = {};
for (const e of ev) if (e.name === 'thread_name') threads[`${e.pid}:${e.tid}`] = e.args.name;
const main = ev.filter((e) => threads[`${e.pid}:${e.tid}`] === 'CrRendererMain' && e.ph === 'X' && e.dur);
const sums = {};
for (const e of main) sums[e.name] = (sums[e.name] || 0) + e.dur / 1000;
const names = ['ThreadControllerImpl::RunTask', 'EventDispatch', 'FunctionCall', 'TimerFire', 'FireAnimationFrame', 'v8.callFunction', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'Commit', 'HitTest', 'ParseHTML', 'MajorGC', 'MinorGC', 'V8.GC_SCAVENGER', 'BlinkGC.AtomicPhase'];
console.log(Object.entries(sums).filter(([k]) => names.includes(k) || sums[k] > 20).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('\n'));
const tasks = main.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && e.dur > 5000).sort((a, b) => a.ts - b.ts);
for (const t of tasks) {
  const inside = {};
  for (const e of main) if (e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && e.name !== 'ThreadControllerImpl::RunTask') inside[e.name] = (inside[e.name] || 0) + e.dur / 1000;
  const top = Object.entries(inside).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
  console.log(`  task ${(t.dur / 1000).toFixed(1)} ms (CPU ${((t.tdur || 0) / 1000).toFixed(1)}): ${top}`);
}
// Each seek's own task (its input event: the reducer and the render) and the
// frame after it (style, layout, paint), by their own CPU time (tdur), which
// the machine's load does not stretch as it does wall time.
const all = main.filter((e) => e.name === 'ThreadControllerImpl::RunTask');
const within = (t, name) => main.some((e) => e.name === name && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur);
const cpu = (t) => ((t?.tdur || 0) / 1000).toFixed(1);
const seekTasks = all.filter((t) => main.some((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'input' && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur));
console.log(`seeks' tasks by CPU (input; the next frame's): ${seekTasks.map((t) => {
  const frame = all.find((f) => f.ts > t.ts && (within(f, 'Paint') || within(f, 'UpdateLayoutTree')));
  return `${cpu(t)}; ${cpu(frame)}`;
}).join(' | ')} ms`);
