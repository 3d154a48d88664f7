// The transfer budget: what every first view of the playground fetches (the
// release build's wasm, its JS glue and the simulation worker's script),
// gzipped as node's zlib does at level 9, stays under BUDGET bytes. Issue 14
// asks for 300,000; the budget sits just above the latest measure so that
// nothing grows unseen (README.md, Performance, "Transfer"; each round's
// cuts and costs in docs/performance.md). Not counted: what is fetched on
// demand (the Import and Explore pages' modules, which the exports,
// #imported and the real band run too; dist/scenarios/*.mon). Latest:
// pagesize7, the page's wasm built by the pinned nightly with std rebuilt at
// opt-level z, no panic locations and abort at once on a panic
// (xtask/src/nightly.rs): 359,888 (wasm 352,562 + JS 6,025 + worker 1,301),
// from 383,257 on stable. Merged with the session's other rounds (pagesize8
// -1.7 kB; simspeed8, framep99e, realfid10 +3.1 kB): 361,318 (wasm 354,674 +
// JS 6,025 + worker 619). pagesize10 (the help dialog's fixed words as one
// piece of markup, the buttons of one shape through one function):
// 359,756 (wasm 353,112 + JS 6,025 + worker 619). pagesize9 (the core's side,
// std's optimize_for_size): 358,270 (wasm 351,626 + JS 6,025 + worker 619).
// Merged with simtrace (the trace's packed store transactions, +2.1 kB) and
// framep99f (the arrows' fixed-point stroke): 359,045 (wasm 352,401).
// pagesize11 (what a first view never runs split off into the lazy module,
// fetched when needed: tests/e2e/split-lazy.mjs, src/lazy.rs; first.test.mjs
// checks that a first visit does not fetch it): 342,092 (wasm 335,058 + JS
// 6,381 + worker 653), from 359,045 on main 07c031b.
// Merged with badinput (+322: the run-stopped notice), seek16 (-227) and
// simspeed11 (+460: shared store transactions, boxed rare messages): 342,855
// (wasm 335,821 + JS 6,381 + worker 653).
// wasmratio (WebAssembly SIMD in every wasm build: -2,519) and eventsize
// (+247): 340,618 (wasm 333,583 + JS 6,382 + worker 653); the glue saying when
// the lazy module cannot be fetched: 340,705 (JS 6,469).
// pagesize12 (more of what a first view never runs in the lazy module: the
// share link's encoder, the exports' clicks, a real trace's reading, the
// selected event's card, #imported's reading, the inspector's body, My
// scenarios' saving and import): 326,323 (wasm 319,199 + JS 6,471 + worker
// 653), from 340,725 on main 617d749.
// Merged with runaway (+1,132: every run's budget weighs its trace's bytes,
// crates/core/src/sim/weight.rs), simspeed12, flakes and wasmratio2:
// 327,392 (wasm 320,269 + JS 6,470 + worker 653).
// pagesize13 (the canvases' drawing, My scenarios' .mon export, the export
// worker's start and the quarantine's transaction in the lazy module):
// 322,460 (wasm 315,336 + JS 6,471 + worker 653), from 327,392 on main
// d46d9a6. The thirteenth round merged (simspeed13's smaller messages and
// statuses +609, wasmratio3's versions map +301, the words fitted to their
// circles and pasted links +85): 323,642 (wasm 316,506 + JS 6,483 + worker 653).
// pagesize14 (the constant data only the lazy module reads moved into it,
// by wasm-ld's map, build.rs; the page's functions it calls reached through
// the function table instead of exports; the page's functions ordered so
// that each follows the one most like it): 316,076 (wasm 308,941 + JS 6,482 +
// worker 653), from 323,642 on main 179eb49. The fourteenth round merged
// (eventsize14's 32-byte events +325, wasmratio4's memcmp +121, a view moved
// before the stored session was read +133): 317,221 (wasm 310,084 + JS
// 6,484 + worker 653); the lazy module named by its own bytes too: 317,237
// (JS 6,500).
// pagesize15 (the user's text quoted by crates/core/src/text_escape.rs, not
// by {:?}, so std's Unicode printable tables are not linked): 313,759 (wasm
// 306,607 + JS 6,499 + worker 653), from 317,237 on main 9ba846b.
// pagesize19 (split-lazy.mjs's greedy order looking 6 functions back, not 4:
// main 22e2e02's own build was 312,866, over the budget, by the order's
// noise): 312,305 (wasm 305,414 + JS 6,238 + worker 653). The seventeenth
// round merged (the disk panel's flushed compared with the playhead shown,
// wasmratio5's short copies +260, simspeed17's fold reading only config-key
// operations, free): 312,820 (wasm 305,927 + JS 6,240 + worker 653); BACK 4
// and 5 gave 313,595 and 312,788 on the same code. simspeed18 (the fold's
// mon_mut inlined, its growth cold; word_le's fixed loads on both targets):
// 312,608 (wasm 305,717 + JS 6,238 + worker 653).
// lazygate20 (the core's paths that the first built-in's run never reaches,
// measured at each build, in the lazy module; every other text's run waits
// for it: split-lazy.mjs RARE, src/first_run.rs, state.rs `held`): 299,937
// (wasm 293,017 + JS 6,256 + worker 664), from 312,618 on main 238bcc8.
// Merged with the ▶'s rule and wasmratio7's effect_hash, 300,000 with BACK 6;
// the split now writes BACK 5, 6 and 7 and keeps the smallest: 299,580
// (wasm 292,661 + JS 6,255 + worker 664; 5 won). The monitors' wire, timer
// and store-key types' fmt impls the first run did not reach moved too
// (split-lazy.mjs WIRE_FORMATTING): 298,937 (wasm 292,018). simspeed20 (the
// paxos keys in slots, History's last key; −3.2% native): 299,708 (wasm 292,789).
// wasmheap22 (crates/heap, the page's and the wasm CLI's allocator, in place
// of dlmalloc): 297,807 (wasm 290,888 + JS 6,255 + worker 664). Merged with
// simspeed22 (the queue, timers by code; +413 on its own), monspeed22 (the
// fold's first values shared, the monitors' empty calls returning early;
// −1,235 on its own), wasmratio7's push_extend and the page's held frames:
// 297,877 (wasm 290,957 + JS 6,256 + worker 664).
// Round 23, merged: the printer's one write_statement for every target
// (−286), mem23's heap merging a freed large block with its free neighbours
// (the page's hour 8–11 MB smaller; the fold's change beside it was not
// kept), native23's paxos round transaction built once for the quorum
// (−4.4% of the native slice; its generic build paths about +1,200 here):
// 298,883 (wasm 291,965 + JS 6,254 + worker 664); the client's one
// `written` for every target (+70): 298,953 (wasm 292,033 + JS 6,256 +
// worker 664). One packer path and the transaction buffers' reuse for
// every target (the twins pack_owned/pack_spent and Out's cfg'd spare
// buffers gone; −522): 298,431 (wasm 291,511 + JS 6,256 + worker 664),
// under the 300,000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { url } from './harness.mjs';

const BUDGET = 298_600;

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
  // The simulation's worker script (src/sim_feed.rs starts it as
  // ./sim-worker.js); it runs the same wasm and glue, fetched once.
  const [w, j, k] = [await size(wasm), await size(js), await size('./sim-worker.js')];
  const all = w + j + k;
  console.log(`transfer: wasm ${w} + js ${j} + worker ${k} = ${all} bytes gzipped (budget ${BUDGET})`);
  assert.ok(all < BUDGET, `wasm ${w} + js ${j} + worker ${k} = ${all} bytes gzipped, over ${BUDGET}`);
});
