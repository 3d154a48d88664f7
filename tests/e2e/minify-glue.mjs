// Trunk's post_build hook (Trunk.toml): in release builds, splits off the
// wasm's lazy module (split-lazy.mjs: code a first view never runs), gives the wasm's
// imports short names in the wasm and its JS glue (short-imports.mjs), minifies
// the glue and the simulation worker's script with terser, and updates the
// wasm's and the glue's subresource integrity hashes in index.html. Trunk
// minifies the glue itself too, but its minifier cannot parse wasm-bindgen
// 0.2.130's output (it warns and copies the file as is).
// Minified, the glue is about 2 kB smaller gzipped (docs/performance.md, "Transfer").
//
// It runs in trunk's staging directory, before trunk moves the build to dist/.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';
import { renameInGlue, shortenImports } from './short-imports.mjs';
import { checkedChunks, firstRun, lazyGlue, splitLazy } from './split-lazy.mjs';

// wasm-opt writing `file` again without its names, with StackIR's
// optimizations at www/index.html's levels (no passes: the code is as
// optimized already; written by binaryen.js it would be 0.7 kB larger gzipped).
const wasmOpt = join(dirname(fileURLToPath(import.meta.url)), 'node_modules', '.bin', 'wasm-opt');
const features = ['bulk-memory', 'nontrapping-float-to-int', 'sign-ext', 'mutable-globals', 'reference-types', 'multivalue', 'simd'];
function rewrite(file, bytes) {
  writeFileSync(file, bytes);
  execFileSync(wasmOpt, [file, '-o', file, '--optimize-level=2', '--shrink-level=1', ...features.map((f) => `--enable-${f}`)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return readFileSync(file);
}

// The linker's map of the page's data (build.rs writes it beside the linked
// wasm), checked against that wasm and `named`, for the split to move the
// constant data only the lazy module reads; null (and said) where there is none.
function dataMap(named) {
  const dir = join(process.env.CARGO_TARGET_DIR ?? 'target', 'wasm32-unknown-unknown', 'web');
  const map = join(dir, 'monscope-web.map');
  const linked = join(dir, 'monscope-web.wasm');
  if (!existsSync(map) || !existsSync(linked)) {
    console.log(`minify-glue: no ${map}: the lazy module's data stays in the page`);
    return null;
  }
  return checkedChunks(readFileSync(map, 'utf8'), readFileSync(linked), named);
}

if (process.env.TRUNK_PROFILE === 'release') {
  const dir = process.env.TRUNK_STAGING_DIR;
  const integrity = (code) => `sha384-${createHash('sha384').update(code).digest('base64')}`;
  const htmlFile = join(dir, 'index.html');
  let html = readFileSync(htmlFile, 'utf8');
  // The glue is monscope-web-HASH.js (the wasm is monscope-web-HASH_bg.wasm).
  const glue = readdirSync(dir).filter((name) => /^monscope-web-[0-9a-f]+\.js$/.test(name));
  if (glue.length !== 1) throw new Error(`expected one JS glue file in ${dir}, found ${glue.join(', ') || 'none'}`);
  const rehash = (name, before, after) => {
    if (!html.includes(integrity(before))) throw new Error(`index.html does not name ${name} by its integrity hash`);
    html = html.replaceAll(integrity(before), integrity(after));
  };
  for (const name of glue) {
    const file = join(dir, name);
    const wasmName = name.replace(/\.js$/, '_bg.wasm');
    const named = readFileSync(join(dir, wasmName));
    let source = readFileSync(file, 'utf8');
    // The wasm keeps its function names (wasm-opt -g, www/index.html) for
    // the split (split-lazy.mjs); both modules are written without them.
    // What the first built-in's run reaches (src/first_run.rs): the core's
    // functions it does not move to the lazy module too (split-lazy.mjs, `RARE`).
    const covered = await firstRun(named, file);
    const split = splitLazy(named, { chunks: dataMap(named), covered });
    const tmp = join(dir, 'split-lazy.tmp.wasm');
    let wasm = named;
    if (split) {
      const lazy = rewrite(tmp, split.lazy);
      // Named by its own bytes too: trunk's hash is of the module before this
      // hook, so a change of the split alone would reuse a name a browser may
      // have cached (the page's glue, named by its integrity hash, asks for
      // exactly this one).
      const own = createHash('sha256').update(lazy).digest('hex').slice(0, 16);
      const lazyName = name.replace(/\.js$/, `-${own}_lazy.wasm`);
      writeFileSync(join(dir, lazyName), lazy);
      wasm = rewrite(tmp, split.primary);
      source = lazyGlue(source, lazyName);
      console.log(
        `minify-glue: ${covered.size} functions ran in the first built-in's run; ${split.rare} of the core's that did not, ${split.moved} functions in all and ${split.data} bytes of data moved to ${lazyName} (${lazy.length} bytes), ${split.entries} entries, ${split.needed} of the page's functions in its table for it`,
      );
    } else {
      wasm = rewrite(tmp, named);
    }
    rmSync(tmp);
    const { bytes, renames, exports } = shortenImports(wasm, './monscope-web_bg.js', 'g');
    if (renames.size === 0) throw new Error(`${wasmName} imports nothing from ./monscope-web_bg.js`);
    rehash(wasmName, named, bytes);
    writeFileSync(join(dir, wasmName), bytes);
    const { code } = await minify(renameInGlue(source, renames, exports, './monscope-web_bg.js', 'g'), { module: true, compress: true, mangle: true });
    rehash(name, readFileSync(file, 'utf8'), code);
    writeFileSync(file, code);
    console.log(`minify-glue: ${renames.size} imports and ${exports.size} exports renamed; ${name}: ${source.length} -> ${code.length} bytes`);
  }
  // The simulation worker's script (static/sim-worker.js, copied as is, not
  // named by an integrity hash): its comments are half of it, and every first
  // view fetches it. Minified: 1,286 -> 639 bytes gzipped.
  const worker = join(dir, 'sim-worker.js');
  const script = readFileSync(worker, 'utf8');
  const { code } = await minify(script, { module: true, compress: true, mangle: true });
  writeFileSync(worker, code);
  console.log(`minify-glue: sim-worker.js: ${script.length} -> ${code.length} bytes`);
  writeFileSync(htmlFile, html);
}
