// A slow machine for the end-to-end tests, to find their races (not a test:
// `node --test` runs only *.test.mjs). Preloaded, it makes every page the
// tests open slow in the ways MONSCOPE_SLOW lists (comma-separated):
//   cpu=N             CDP's CPU throttling (Emulation.setCPUThrottlingRate) at rate N
//   PATTERN=MS        requests whose URL contains PATTERN answered MS ms late
// e.g., from the repository's root, against a served dist/:
//   MONSCOPE_SLOW=cpu=5,sim-worker.js=1500 NODE_OPTIONS=--import=./tests/e2e/slow.mjs \
//     MONSCOPE_URL=http://127.0.0.1:8329/ node --test tests/e2e/tour.test.mjs
// With MONSCOPE_CHROMIUM naming a script that runs chromium under
// `taskset -c 0`, the browser has one core as well.
import { chromium } from 'playwright-core';

const spec = (process.env.MONSCOPE_SLOW || '').split(',').filter(Boolean);
let cpu = 0;
const delays = [];
for (const item of spec) {
  const [k, v] = item.split('=');
  if (k === 'cpu') cpu = Number(v);
  else delays.push([k, Number(v)]);
}

async function slowContext(context) {
  for (const [pattern, ms] of delays) {
    await context.route(
      (u) => u.href.includes(pattern),
      async (route) => {
        await new Promise((r) => setTimeout(r, ms));
        await route.fallback();
      },
    );
  }
  if (cpu > 1) {
    const newPage = context.newPage.bind(context);
    context.newPage = async (...args) => {
      const page = await newPage(...args);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
      return page;
    };
  }
  return context;
}

if (spec.length) {
  const persistent = chromium.launchPersistentContext.bind(chromium);
  chromium.launchPersistentContext = async (...args) => slowContext(await persistent(...args));
  const launch = chromium.launch.bind(chromium);
  chromium.launch = async (...args) => {
    const browser = await launch(...args);
    const newContext = browser.newContext.bind(browser);
    browser.newContext = async (...a) => slowContext(await newContext(...a));
    return browser;
  };
  console.log(`slow.mjs: ${spec.join(', ')}`);
}
