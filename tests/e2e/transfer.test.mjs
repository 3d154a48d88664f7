// The transfer budget: the release build's wasm and JS glue, gzipped (-9), are
// under 391,500 bytes together (README.md, Performance, "Transfer"). Node's
// zlib compresses the wasm a little less well than `gzip -9` (about 3 kB).
// Issue 14 asks for 300,000. This round cut 419,213 to 385,679 (share links'
// own DEFLATE instead of miniz_oxide, no f64 parsing, short import names,
// wasm-opt flags); with the round's other merges the page measured 391,092;
// the budget sat just above (391,500), so nothing grows unseen, and
// the rest of the way is not made yet (README says where the bytes go).
// The simulation in a Web Worker (branch simworker: the trace's binary
// encoding, both ways, the worker's entry points and the page's reader)
// measured +15,019 bytes (391,092 -> 406,111, built back to back), and the
// budget moved by about that much (static/sim-worker.js, 846 bytes gzipped, is
// fetched once the worker starts and is not counted here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { url } from './harness.mjs';

const BUDGET = 406_200;

async function fetched(path) {
  const response = await fetch(new URL(path, url));
  assert.equal(response.status, 200, path);
  return Buffer.from(await response.arrayBuffer());
}

test('the gzipped wasm and JS glue are under the transfer budget', async () => {
  assert.ok(url, 'MONSCOPE_URL is not set: run the end-to-end tests with `cargo xtask test`');
  // The page names them relative to itself (./monscope-web-HASH.js), so
  // it works under any sub-path.
  const html = (await fetched('./')).toString('utf8');
  const js = html.match(/\.\/monscope-web-[0-9a-f]+\.js/)?.[0];
  const wasm = html.match(/\.\/monscope-web-[0-9a-f]+_bg\.wasm/)?.[0];
  assert.ok(js && wasm, 'index.html names the JS glue and the wasm relative to itself');
  const size = async (path) => gzipSync(await fetched(path), { level: 9 }).length;
  const [w, j] = [await size(wasm), await size(js)];
  console.log(`transfer: wasm ${w} + js ${j} = ${w + j} bytes gzipped (budget ${BUDGET})`);
  assert.ok(w + j < BUDGET, `wasm ${w} + js ${j} = ${w + j} bytes gzipped, over ${BUDGET}`);
});
