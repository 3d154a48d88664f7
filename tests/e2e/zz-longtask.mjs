import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { returning } from '/work/main/tests/e2e/harness.mjs';
const url = process.env.MONSCOPE_URL;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await (await browser.newContext({ viewport: { width: 1400, height: 950 } })).newPage();
await page.addInitScript(returning);
const out='/tmp/lt.json';
await browser.startTracing(page, { path: out, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel','v8','blink','disabled-by-default-v8.compile'] });
await page.goto(url + (process.env.Q||''));
await page.getByTestId('cluster').waitFor({ timeout: 60_000 });
await page.waitForTimeout(1500);
await browser.stopTracing();
await browser.close();
const ev = JSON.parse(fs.readFileSync(out)).traceEvents;
const threads = {};
for (const e of ev) if (e.name === 'thread_name') threads[`${e.pid}:${e.tid}`] = e.args.name;
const main = ev.filter(e => threads[`${e.pid}:${e.tid}`] === 'CrRendererMain' && e.ph === 'X');
const tasks = main.filter(e => e.name === 'RunTask' && e.dur > 30000);
for (const t of tasks) {
  console.log(`TASK at ${(t.ts/1000).toFixed(0)} dur ${(t.dur/1000).toFixed(1)} tdur ${(t.tdur/1000).toFixed(1)}`);
  const kids = main.filter(e => e.ts >= t.ts && e.ts + (e.dur||0) <= t.ts + t.dur && e !== t && e.dur > 2000);
  for (const k of kids.sort((a,b)=>a.ts-b.ts)) console.log(`  +${((k.ts-t.ts)/1000).toFixed(1)} ${k.name} ${(k.dur/1000).toFixed(1)} ${JSON.stringify(k.args?.data?.url||k.args?.data?.functionName||k.args?.fileName||'').slice(0,80)}`);
}
