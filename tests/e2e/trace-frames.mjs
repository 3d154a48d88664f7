// The frame test's picture (page.test.mjs, "frame times while animating 15
// monitors with 2,000 messages in flight"), measured and profiled: the run
// fully simulated, played at 1/10x, 300 frames (`requestAnimationFrame`
// intervals) with the main thread's time from CDP `Performance.getMetrics`.
// PROFILE=1 also samples the main thread (CDP `Profiler`; build the wasm with
// its names kept to read it) and prints the heaviest functions; TRACE=FILE
// also writes a Chrome trace of the frames and sums its main-thread events.
// SMALL=1: the 7-monitor case. docs/performance.md, "The page", "Many messages".
// Not a test: MONSCOPE_URL=http://127.0.0.1:8080/ node tests/e2e/trace-frames.mjs
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { busy, frameTimes, quantiles, returning, showBusyAt } from './harness.mjs';
const url = process.env.MONSCOPE_URL || 'http://127.0.0.1:8080/';
const small = !!process.env.SMALL;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await (await browser.newContext({ viewport: { width: 1400, height: 950 } })).newPage();
page.on('pageerror', (e) => console.log('pageerror', e.message));
await page.addInitScript(returning);
await page.goto(url);
await page.getByTestId('cluster').waitFor();
const [names, at] = small ? ['abcdefg', 23_000_000] : ['abcdefghijklmno', 40_000_000];
const text = small ? busy([...names], 1000, 0.01) : busy([...names], 2500, 0.004, '1s..2s', '60s');
const inFlight = await showBusyAt(page, text, at);
// CSS=...: a style sheet added to the page (to try a layering before building it).
if (process.env.CSS) await page.addStyleTag({ content: process.env.CSS });
await page.getByTestId('speed').selectOption('0.1');
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
if (process.env.PROFILE) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
}
let layers = null;
if (process.env.LAYERS) {
  cdp.on('LayerTree.layerTreeDidChange', (e) => { if (e.layers) layers = e.layers; });
  await cdp.send('LayerTree.enable');
}
await page.getByTestId('play').click();
await page.waitForTimeout(300);
const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
if (process.env.TRACE) {
  await browser.startTracing(page, { path: process.env.TRACE, categories: (process.env.CATS || 'devtools.timeline,disabled-by-default-devtools.timeline,toplevel,blink').split(',') });
}
if (process.env.PROFILE) await cdp.send('Profiler.start');
const m0 = await metrics();
const frames = await frameTimes(page);
const m1 = await metrics();
const profile = process.env.PROFILE ? (await cdp.send('Profiler.stop')).profile : null;
if (process.env.TRACE) await browser.stopTracing();
await page.getByTestId('play').click();
const per = (k) => (((m1[k] - m0[k]) * 1000) / frames.length).toFixed(1);
const elements = await page.evaluate(() => document.querySelectorAll('*').length);
console.log(`${inFlight} in flight: frames ${quantiles(frames).text} ms; a frame: task ${per('TaskDuration')} ms, script ${per('ScriptDuration')}, style ${per('RecalcStyleDuration')}, layout ${per('LayoutDuration')}; ${elements} elements`);
if (layers) {
  // The composited layers while playing: each is a picture the compositor blends.
  for (const l of layers) if (l.drawsContent) console.log(`layer ${l.layerId} ${Math.round(l.width)}x${Math.round(l.height)} at ${Math.round(l.offsetX)},${Math.round(l.offsetY)} paints ${l.paintCount}`);
}
if (profile) {
  // Self time by function, and time under each function (inclusive), in ms.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) || 0) + (profile.timeDeltas[i] || 0) / 1000);
  const self = {};
  const incl = {};
  let total = 0;
  for (const [id, ms] of dt) {
    const name = (n) => n.callFrame.functionName || `(${n.callFrame.url.split('/').pop() || 'anonymous'})`;
    self[name(byId.get(id))] = (self[name(byId.get(id))] || 0) + ms;
    total += ms;
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const k = name(byId.get(n));
      if (!seen.has(k)) incl[k] = (incl[k] || 0) + ms;
      seen.add(k);
    }
  }
  const top = (o, k) => Object.entries(o).filter(([n]) => n !== '(root)' && n !== '(program)' && n !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, k);
  console.log(`sampled ${total.toFixed(0)} ms (idle ${(self['(idle)'] || 0).toFixed(0)}, program ${(self['(program)'] || 0).toFixed(0)}, gc ${(self['(garbage collector)'] || 0).toFixed(0)})`);
  console.log('self:\n' + top(self, 40).map(([n, v]) => `  ${v.toFixed(1)} ${n}`).join('\n'));
  console.log('inclusive:\n' + top(incl, 60).map(([n, v]) => `  ${v.toFixed(1)} ${n}`).join('\n'));
}
if (process.env.TRACE) {
  const ev = JSON.parse(fs.readFileSync(process.env.TRACE)).traceEvents;
  const threads = {};
  for (const e of ev) if (e.name === 'thread_name') threads[`${e.pid}:${e.tid}`] = e.args.name;
  for (const thread of ['CrRendererMain', 'Compositor', 'VizCompositorThread']) {
    const main = ev.filter((e) => threads[`${e.pid}:${e.tid}`] === thread && e.ph === 'X' && e.dur);
    const sums = {};
    for (const e of main) sums[e.name] = (sums[e.name] || 0) + e.dur / 1000;
    // Wall time, and the thread's own CPU time (`tdur`: less of the machine's load in it).
    const tasks = main.filter((e) => e.name === 'ThreadControllerImpl::RunTask');
    const wall = tasks.reduce((a, e) => a + e.dur / 1000, 0) / frames.length;
    const cpu = tasks.reduce((a, e) => a + (e.tdur || 0) / 1000, 0) / frames.length;
    console.log(`${thread} (tasks a frame: ${wall.toFixed(1)} ms, ${cpu.toFixed(1)} ms of CPU): ` + Object.entries(sums).sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '));
  }
  // The workers' tasks over 5 ms of their own CPU: the arrows' painter's
  // drawings of a new window (the dots' are a few ms each frame).
  const workers = [...new Set(ev.filter((e) => threads[`${e.pid}:${e.tid}`] === 'DedicatedWorker thread').map((e) => `${e.pid}:${e.tid}`))];
  for (const w of workers) {
    const long = ev.filter((e) => `${e.pid}:${e.tid}` === w && e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && e.tdur > 5000).map((e) => e.tdur / 1000);
    if (long.length) console.log(`worker ${w}: ${long.length} tasks over 5 ms of CPU: ${long.map((v) => v.toFixed(1)).join(', ')}`);
  }
}
await browser.close();
