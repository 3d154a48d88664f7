// The page's wasm split in two (used by minify-glue.mjs, Trunk's post_build
// hook, in release builds): code that a first view of the playground never
// runs (the embed, the long text's view, the real band, the canvases'
// painters, the inspector's reading, what only a click runs, ...) moves to a
// second module, `*_lazy.wasm`, which the page fetches when it first needs
// it (`monscopeLazy()`, src/lazy.rs), so that every first view fetches less
// (docs/performance.md, "Transfer").
//
// What moves: the functions whose names match a pattern of `ROOTS` (not
// `NOT_ROOTS`), the core's that the first built-in's run never reaches
// (`RARE`, measured at each build), and every function that only those reach (all its callers
// moved); of these, one that the page's own code calls must match `ENTRIES`
// (the calls made after `lazy::load()`), or it stays. The page's module keeps its
// memory and tables; each moved function it still names (a call, the
// function table, an export) becomes an import `l.NAME` of the glue, which
// forwards to the lazy module's export once loaded. The lazy module imports
// the memory, the tables and the globals from `p` (exports the page's module
// gains, with short names), and calls the page's functions through its
// function table (`viaTable`). The constant data that only moved code reads
// moves too, as the lazy module's active data (`lazyData`: wasm-ld's map,
// build.rs, says where each constant starts and ends). The input must keep its
// function names (`wasm-opt -g`, www/index.html); both outputs are written
// without them.
import binaryen from 'binaryen';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

// The core's rare paths: the functions of these modules that the first
// built-in scenario's run never reaches, every way the page makes and reads
// it (src/first_run.rs, run once instrumented by the build: `firstRun`),
// move too. The page runs nothing but the first built-in's text before the
// lazy module is in: any other text's run waits for it (state.rs,
// `Msg::LazyIn`; static/sim-worker.js), so these are entered only after
// `lazy::load()`. Measured at each build, never listed by hand.
export const RARE = { test: (n) => /monscope_core\[\w+\]::(mon|sim|trace)::/.test(n) && !/^<*monscope_web\[/.test(n) };
// Code that runs on any text or stored data before the module is in (a parse
// at each keystroke, a link opened, the stores read back): what it calls
// never moves, whichever text the first run is.
export const ANY_INPUT = [
  /monscope_core\[\w+\]::scenario::/,
  /^<*monscope_web\[\w+\]::(share|edit|builtins)::/,
  /^<*monscope_web\[\w+\]::store::(db|session|mon_file)::/,
  /^<*monscope_web\[\w+\]::store::journal::Journal>::from_disk/,
];
// Called through the function table by any formatting (a parse error's
// words among them): never moved by `RARE`, but those of the monitors' wire,
// timer and store-key types (`mon::messages`, `mon::out`, `mon::small`,
// `mon::Addr`): only the monitors' own log lines format them (the simulation,
// whose other runs wait for the module), and the event card (in it); the
// parser, the views and the stores' decoding never name them.
const FORMATTING = / as core\[\w+\]::fmt::\w+>::fmt$/;
const WIRE_FORMATTING = /^<&*monscope_core\[\w+\]::mon::(?:(?:messages|out|small)::\w+|Addr) as core\[\w+\]::fmt::\w+>::fmt$/;
// The coverage run's own export, and what only it calls (moved: no view runs it).
const FIRST_RUN = /^monscope_web\[\w+\]::first_run::first_run$|^first_run$/;

// Names (v0-demangled, with crate hashes) of what a first view never runs.
// Each is entered only after `lazy::load()` (src/lazy.rs says where).
export const ROOTS = [
  // The embed (?embed=1): the app starts once the module is in (app.rs).
  /^<*monscope_web\[\w+\]::components::embed::/,
  /^<*monscope_web\[\w+\]::embed(_api)?::/,
  // The long text's view: a paste that makes the text long waits for it
  // (long_text.rs, `textarea`).
  /^<*monscope_web\[\w+\]::components::long_text::/,
  // The inspector's reading of a monitor: drawn once it is in (app.rs).
  /^<*monscope_web\[\w+\]::inspect::/,
  /^<*monscope_web\[\w+\]::components::inspector::body\b/,
  // The real band's drawing: an opened trace waits for it (real_band.rs).
  /^<*monscope_web\[\w+\]::components::real_band::real_bands/,
  // The canvases' painters (over 100 dots or 666 arrows in view): their
  // workers load it before they are ready (static/sim-worker.js), and the
  // page when it paints them itself (sim_feed.rs, `Painter`).
  /^<*monscope_web\[\w+\]::(dots|arrows)::/,
  /^(dots|arrows)_paint/,
  // Share and Copy embed code: the link and the iframe (the share link's
  // DEFLATE encoder) written once the click has loaded it (header.rs).
  /^<*monscope_web\[\w+\]::components::header::shared_text$/,
  // Export SVG and Export trace: the run handed to the export worker once
  // the click has loaded it (export.rs), and the future that waits for it.
  /monscope_web\[\w+\]::components::export::exported/,
  // ... and the export worker's start (a hover on the buttons starts it
  // once the module is in).
  /^<*monscope_web\[\w+\]::trace_export::warm$/,
  // Damaged records moved to the quarantine store (db.rs, after a load).
  /^<*monscope_web\[\w+\]::store::db::quarantine::\{closure#0\}::\{closure/,
  // `#imported`'s history read and its model built (app.rs, loaded first).
  /monscope_web\[\w+\]::app::(imported_model|read_imported)\b/,
  // My scenarios saved, renamed, deleted or imported, once the click has
  // loaded it (store/persist.rs).
  /^<*monscope_web\[\w+\]::store::persist::Storage>::(scenario|import)_now\b/,
  // ... their IndexedDB transactions (made only by `scenario_now`), and a
  // scenario's `.mon` export (my_scenarios.rs, `export_mon`).
  /^<*monscope_web\[\w+\]::store::db::(save|rename|delete)_scenario::/,
  /^<*monscope_web\[\w+\]::store::mon_file::export$/,
  // The selected event's card: drawn once it is in (app.rs).
  /^<*monscope_web\[\w+\]::components::details::/,
  // The help dialog (`?`), the same way.
  /^<*monscope_web\[\w+\]::components::help::help$/,
  // A real trace's file read and opened (real_band.rs), the same way.
  /monscope_web\[\w+\]::components::real_band::(opened|read)\b/,
  // The canvases' drawing (over 100 dots or 666 arrows in view), once it
  // is in (message_canvas.rs, arrow_canvas.rs: `lazy::now_or_then`).
  /^<*monscope_web\[\w+\]::components::(message_canvas|arrow_canvas)::(redraw|warm_now|picked|draw_changed)$/,
  // ... and the closures they make: the painters' fallback, their workers'
  // answers, the canvases' resize observer (called only once made).
  /^<*monscope_web\[\w+\]::components::(message_canvas|arrow_canvas)::(PAINTER|observer)::/,
  /^<*monscope_web\[\w+\]::sim_feed::Painter>::warm::\{closure/,
  // yew's code for the two components (their bodies inline into it), and
  // their closures and effects, wherever named.
  /monscope_web\[\w+\]::components::(embed::Embed|long_text::LongText)(>| as yew\[\w+\]::functional::FunctionProvider>::run)/,
  // The build's coverage run (src/first_run.rs).
  FIRST_RUN,
];
// The moved functions the page's own code calls directly, each only after
// `lazy::load()` (or where a synchronous load is acceptable: the canvases
// painted by the page itself, where no worker starts). Any other moved
// function that the page calls is kept: it is likely code merged with
// another type's (the same body, named for one of them).
export const ENTRIES = [
  /^<*monscope_web\[\w+\]::(dots::Pixels>::paint|arrows::paint)\b/,
  /^<*monscope_web\[\w+\]::inspect::(detail|from_logs)$/,
  /^<*monscope_web\[\w+\]::components::real_band::real_bands$/,
  /^<*monscope_web\[\w+\]::embed_api::warn$/,
  /^<*monscope_web\[\w+\]::components::header::shared_text$/,
  /^<*monscope_web\[\w+\]::components::export::exported$/,
  /^<*monscope_web\[\w+\]::components::real_band::opened$/,
  /^<*monscope_web\[\w+\]::components::details::details$/,
  /^<*monscope_web\[\w+\]::components::help::help$/,
  /^<*monscope_web\[\w+\]::app::imported_model$/,
  /^<*monscope_web\[\w+\]::components::inspector::body$/,
  /^<*monscope_web\[\w+\]::store::persist::Storage>::(scenario|import)_now$/,
  /^<*monscope_web\[\w+\]::components::(message_canvas|arrow_canvas)::(redraw|warm_now|picked|draw_changed)$/,
  /^<*monscope_web\[\w+\]::store::mon_file::export$/,
  /^<*monscope_web\[\w+\]::trace_export::warm$/,
];

// Matched by a root pattern but run by every view.
export const NOT_ROOTS = [
  /^<*monscope_web\[\w+\]::embed::(EmbedParams>::parse|attr)/,
  /^<*monscope_web\[\w+\]::components::long_text::(textarea|long_paste|pasted_long|is_long)/,
  // Code the same for many types, merged into one copy named for one.
  /^<alloc\[\w+\]::boxed::Box<yew/,
  /^core\[\w+\]::ptr::drop_glue/,
];

// The glue (wasm-bindgen's, before minifying) given the lazy module, named
// `file` beside it: its imports `l.NAME` forward to the lazy module's
// exports; `globalThis.monscopeLazy()` loads it once (src/lazy.rs), and a
// call before that loads it synchronously, with a warning.
export function lazyGlue(js, file) {
  const imports = '"./monscope-web_bg.js": import0,';
  if (!js.includes(imports) || !js.includes('export { initSync')) throw new Error('split-lazy: the glue is not as expected');
  const loader = `
let lazy = null;
let lazyLoading = null;
const lazyUrl = () => new URL('./${file}', import.meta.url);
function lazySync(name) {
  console.warn(\`monscope: the lazy module was loaded synchronously (src/lazy.rs), for its \${name}\`);
  const x = new XMLHttpRequest();
  // Not fetched (offline, a server without the file): said on the page, not
  // left to a half-drawn view (www/index.html's error panel).
  const failed = (why) => {
    globalThis.monscopeCrashed?.(\`monscope could not load part of itself (${file}): \${why}\`,
      'Check the connection and reload the page.');
    return new Error(\`${file}: \${why}\`);
  };
  try {
    x.open('GET', lazyUrl(), false);
    x.overrideMimeType('text/plain; charset=x-user-defined');
    x.send();
  } catch (e) {
    throw failed(e);
  }
  if (x.status !== 200) throw failed(\`HTTP \${x.status}\`);
  const text = x.responseText;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  lazy = new WebAssembly.Instance(new WebAssembly.Module(bytes), { p: wasm }).exports;
}
const lazyImports = new Proxy({}, {
  get: (_, name) => (...args) => {
    if (!lazy) lazySync(name);
    return lazy[name](...args);
  },
});
globalThis.monscopeLazy = () =>
  (lazyLoading ??= fetch(lazyUrl())
    .then((r) => {
      if (!r.ok) throw new Error(\`${file}: \${r.status}\`);
      return r.arrayBuffer();
    })
    .then((bytes) => WebAssembly.instantiate(bytes, { p: wasm }))
    .then(
      ({ instance }) => {
        lazy ??= instance.exports;
      },
      (e) => {
        lazyLoading = null;
        throw e;
      },
    ));
`;
  return js.replace(imports, `${imports} l: lazyImports,`).replace('export { initSync', `${loader}\nexport { initSync`);
}

const base36 = (i) => i.toString(36);

// The call graph from binaryen's text: callees (direct calls, ref.func) of
// each defined function, the functions in element segments and exports; and
// the constants that may be addresses of the data (`refs`: each function's,
// and `other`'s outside functions), for `lazyData`.
function graph(mod) {
  const text = mod.emitText();
  const nameRe = /\$(?:"((?:[^"\\]|\\.)*)"|([^\s()]+))/y;
  const readName = (s, at) => {
    nameRe.lastIndex = at;
    const m = nameRe.exec(s);
    if (!m) throw new Error(`split-lazy: no name at ${s.slice(at, at + 40)}`);
    return [m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2], nameRe.lastIndex];
  };
  const funcs = new Map();
  const pinned = new Set(); // in a table, exported, or the start
  const other = { plain: [], indexed: [] };
  let cur = null;
  const stack = []; // [indent, line] of the open expressions, for a constant's parent
  for (const line of text.split('\n')) {
    if (line.startsWith(' (func ')) {
      const [name] = readName(line, 7);
      cur = { calls: new Set(), bulk: false, plain: [], indexed: [] };
      funcs.set(name, cur);
      stack.length = 0;
      if (line.includes('(export "')) pinned.add(name);
      continue;
    }
    if (line.startsWith(' (')) {
      cur = null;
      if (line.startsWith(' (elem') || line.startsWith(' (export') || line.startsWith(' (start')) {
        let i = line.startsWith(' (elem') ? line.indexOf(' func ') : 0;
        while (i >= 0 && (i = line.indexOf('$', i)) >= 0) {
          const [n, end] = readName(line, i);
          pinned.add(n);
          i = end;
        }
      }
      if (!line.startsWith(' (data ')) constants(line, null, other);
      continue;
    }
    if (!cur) continue;
    for (const kw of ['(call $', '(return_call $', '(ref.func $']) {
      let i = 0;
      while ((i = line.indexOf(kw, i)) >= 0) {
        const [n, end] = readName(line, i + kw.length - 1);
        cur.calls.add(n);
        if (kw === '(ref.func $') cur.bulk = true;
        i = end;
      }
    }
    if (/\((memory\.init|data\.drop|elem\.drop|table\.init|ref\.func) /.test(line)) cur.bulk = true;
    const indent = line.length - line.trimStart().length;
    while (stack.length && stack[stack.length - 1][0] >= indent) stack.pop();
    if (/const |offset=/.test(line)) constants(line, stack.length ? stack[stack.length - 1][1] : null, cur);
    stack.push([indent, line]);
  }
  return { funcs, pinned, other };
}

// The constants of one line of binaryen's text that may be data addresses
// (wasm32: any 32 bits, so i64's halves and v128's lanes too), into
// `to.plain`, or `to.indexed` where an index is added to them (a load's or
// store's `offset=`, an `i32.add`'s operand): an address folded there may lie
// before its object (`table[i - 1]`, `--low-memory-unused`'s offsets).
function constants(line, parent, to) {
  const indexed = parent !== null && /^\s*\(i32\.(add|sub)\b/.test(parent);
  for (const m of line.matchAll(/i32\.const (-?\d+)|offset=(\d+)|i64\.const (-?\d+)|v128\.const i32x4((?: 0x[0-9a-f]+){4})/g)) {
    if (m[1] !== undefined) (indexed ? to.indexed : to.plain).push(Number(m[1]) >>> 0);
    else if (m[2] !== undefined) to.indexed.push(Number(m[2]));
    else if (m[3] !== undefined) {
      const v = BigInt.asUintN(64, BigInt(m[3]));
      to.plain.push(Number(v & 0xffffffffn), Number(v >> 32n));
    } else for (const x of m[4].trim().split(' ')) to.plain.push(parseInt(x, 16) >>> 0);
  }
}

// The data's objects from wasm-ld's map (`--Map`, build.rs): the constant
// data (`.rodata`) and the statics (`.data`), each {start, end, name, section}
// in address order.
export function dataChunks(mapText) {
  const out = [];
  let section = null;
  for (const line of mapText.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 4 && /^\.[a-z]+$/.test(f[3])) section = f[3];
    else if (f.length === 5 && f[3] === 'DATA') section = null;
    else if (f.length === 4 && f[0] !== '-' && f[3].includes(':(') && (section === '.rodata' || section === '.data')) {
      const start = parseInt(f[0], 16);
      // `<internal>`: the linker's merged strings (each NUL-terminated).
      const merged = f[3].startsWith('<internal>:');
      out.push({ start, end: start + parseInt(f[2], 16), name: f[3].replace(/^.*:\(/, '').replace(/\)$/, ''), section, merged });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

// What of the constant data only the moved code reads: the `.rodata` objects
// that the moved functions' constants reach (directly or through a pointer in
// other such data) and the page's own code and data do not; each moved to the
// lazy module as its active data, written into the shared memory when it is
// instantiated. Conservative: every constant that falls in an object counts
// as a read of it; an indexed one (see `constants`) of every object starting
// within `WINDOW` bytes after it too; an object's every aligned word is a
// pointer; LLVM's switch tables (read at an address folded below them) and
// the statics never move. Returns {runs: [start, end) sorted, bytes(start,
// end)}, or {} without a map.
const WINDOW = 256;
function lazyData(chunks, mod, funcs, moved, other) {
  if (!chunks || chunks.length === 0) return {};
  const lo = chunks[0].start;
  const hi = chunks[chunks.length - 1].end;
  const image = new Uint8Array(hi - lo);
  for (let i = 0; i < mod.getNumDataSegments(); i++) {
    const s = mod.getDataSegmentInfo(mod.getDataSegmentByIndex(i));
    if (s.passive) throw new Error(`split-lazy: data segment ${s.name} is passive`);
    const bytes = new Uint8Array(s.data);
    if (s.offset < lo || s.offset + bytes.length > hi) throw new Error(`split-lazy: data segment ${s.name} at ${s.offset} is not in the linker map's data`);
    image.set(bytes, s.offset - lo);
  }
  // The linker's merged strings are one section in its map, but each string
  // (up to and with its NUL: wasm-ld merges only such) is an object of its
  // own, read from its start or, merged with a longer one's tail, from
  // within that one.
  chunks = chunks.flatMap((c) => {
    if (!c.merged) return [c];
    const pieces = [];
    let start = c.start;
    for (let a = c.start; a < c.end; a++) {
      if (image[a - lo] === 0) pieces.push({ ...c, start, end: a + 1 }), (start = a + 1);
    }
    if (start < c.end) pieces.push({ ...c, start, end: c.end });
    return pieces;
  });
  const at = (a) => {
    // The last object starting at or before `a`.
    let l = 0;
    let h = chunks.length - 1;
    let r = -1;
    while (l <= h) {
      const m = (l + h) >> 1;
      if (chunks[m].start <= a) (r = m), (l = m + 1);
      else h = m - 1;
    }
    return r;
  };
  const reach = (set, a, window) => {
    if (a < lo || a > hi) return;
    const i = at(a);
    if (i >= 0 && a < chunks[i].end) set.add(i);
    // One past an object's end: the next one's start, as far as we know.
    if (i >= 0 && a === chunks[i].end && i + 1 < chunks.length) set.add(i + 1);
    for (let j = i + 1; j < chunks.length && chunks[j].start <= a + window; j++) set.add(j);
  };
  const read = (set, refs) => {
    for (const a of refs.plain) reach(set, a, 0);
    for (const a of refs.indexed) reach(set, a, WINDOW);
  };
  const page = new Set();
  const lazy = new Set();
  read(page, other);
  for (const [n, f] of funcs) read(moved.has(n) ? lazy : page, f);
  chunks.forEach((c, i) => {
    if (c.section !== '.rodata' || /switch\.table/.test(c.name)) page.add(i);
  });
  const close = (set) => {
    const queue = [...set];
    while (queue.length) {
      const c = chunks[queue.pop()];
      for (let o = (c.start + 3) & ~3; o + 4 <= c.end; o += 4) {
        const k = o - lo;
        const found = new Set();
        reach(found, (image[k] | (image[k + 1] << 8) | (image[k + 2] << 16) | (image[k + 3] << 24)) >>> 0, 0);
        for (const j of found) if (!set.has(j)) set.add(j), queue.push(j);
      }
    }
  };
  close(page);
  close(lazy);
  const runs = [];
  for (const i of [...lazy].filter((i) => !page.has(i)).sort((a, b) => a - b)) {
    const c = chunks[i];
    const last = runs[runs.length - 1];
    if (last && last[1] === c.start) last[1] = c.end;
    else runs.push([c.start, c.end]);
  }
  return { runs, bytes: (start, end) => image.slice(start - lo, end - lo) };
}

const leb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n) => {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return out.push(b), out;
    out.push(b | 0x80);
  }
};

// A wasm binary's sections ({id, at, body}: `at` the id's offset) and a
// data section's active segments ({offset, bytes}), read as the spec says.
function reader(bytes, p = 0) {
  return {
    get p() {
      return p;
    },
    byte: () => bytes[p++],
    u32() {
      let r = 0;
      let shift = 0;
      for (;;) {
        const b = bytes[p++];
        r |= (b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) return r >>> 0;
      }
    },
    take(n) {
      p += n;
      return bytes.subarray(p - n, p);
    },
  };
}
export function sections(wasm) {
  const r = reader(wasm, 8);
  const out = [];
  while (r.p < wasm.length) {
    const at = r.p;
    const id = r.byte();
    out.push({ id, at, body: r.take(r.u32()) });
  }
  return out;
}
export function dataSegments(wasm) {
  const data = sections(wasm).find((s) => s.id === 11);
  if (!data) return [];
  const r = reader(data.body);
  const out = [];
  for (let n = r.u32(); n > 0; n--) {
    if (r.u32() !== 0 || r.byte() !== 0x41) throw new Error('split-lazy: a data segment that is not active at a constant');
    const offset = r.u32(); // addresses below 2^27 are the same as signed LEB
    if (offset >= 1 << 27 || r.byte() !== 0x0b) throw new Error("split-lazy: a data segment's offset is not a small constant");
    out.push({ offset, bytes: r.take(r.u32()) });
  }
  return out;
}

// `wasm` (binary) with the bytes of `runs` ([start, end), sorted) gone from
// its active data segments: zeros where a run is shorter than `CUT` bytes
// (gzip makes little of them), the segment cut in two where it is longer
// (a segment's header is about 9 bytes that compress badly).
const CUT = 128;
function withoutData(wasm, runs) {
  const out = [];
  let count = 0;
  for (const { offset: off, bytes: original } of dataSegments(wasm)) {
    const bytes = original.slice();
    const size = bytes.length;
    // The kept pieces, runs shorter than CUT zeroed inside them.
    let pieces = [[off, off + size]];
    for (const [a, b] of runs) {
      if (b <= off || a >= off + size) continue;
      bytes.fill(0, Math.max(a, off) - off, Math.min(b, off + size) - off);
      if (b - a < CUT) continue;
      pieces = pieces.flatMap(([x, y]) => (b <= x || a >= y ? [[x, y]] : [[x, Math.max(x, a)], [Math.min(y, b), y]]));
    }
    for (let [x, y] of pieces) {
      while (x < y && bytes[x - off] === 0) x++;
      while (y > x && bytes[y - 1 - off] === 0) y--;
      if (x === y) continue;
      out.push(0, 0x41, ...sleb(x), 0x0b, ...leb(y - x), ...bytes.subarray(x - off, y - off));
      count++;
    }
  }
  const parts = [wasm.subarray(0, 8)];
  for (const s of sections(wasm)) {
    const b = s.id === 11 ? Uint8Array.from([...leb(count), ...out]) : s.id === 12 ? Uint8Array.from(leb(count)) : s.body;
    parts.push(Uint8Array.from([s.id, ...leb(b.length)]), b);
  }
  return Buffer.concat(parts);
}

// The linker map's data objects (`dataChunks`) if it was written with
// `linked` (the wasm the linker wrote, whose data section the map places)
// and `named` (wasm-bindgen's and wasm-opt's output of it) has the same data
// (wasm-opt drops zeros, never moves a byte); else an error.
export function checkedChunks(mapText, linked, named) {
  const m = mapText.match(/^\s+-\s+([0-9a-f]+)\s+([0-9a-f]+) DATA$/m);
  const data = sections(linked).find((s) => s.id === 11);
  if (!m || !data || parseInt(m[1], 16) !== data.at || parseInt(m[2], 16) !== data.body.byteOffset + data.body.length - data.at - linked.byteOffset) {
    throw new Error('split-lazy: the linker map was not written with this wasm');
  }
  const image = new Map();
  for (const { offset, bytes } of dataSegments(linked)) bytes.forEach((b, i) => b && image.set(offset + i, b));
  let nonzero = 0;
  for (const { offset, bytes } of dataSegments(named)) {
    bytes.forEach((b, i) => {
      if (b && image.get(offset + i) !== b) throw new Error(`split-lazy: the page's data at ${offset + i} is not the linked wasm's`);
      if (b) nonzero++;
    });
  }
  if (nonzero !== image.size) throw new Error("split-lazy: the page's data is not the linked wasm's");
  return dataChunks(mapText);
}

// The lazy module's text (binaryen's, folded: an expression's operands on
// the lines below it, its `)` at its own indent) with each call of a page
// function of `slots` made a `call_indirect` of its slot in `table`.
function viaTable(text, table, slots, sigs) {
  const typeName = (t) => binaryen.expandType(t).map((x) => ({ [binaryen.i32]: 'i32', [binaryen.i64]: 'i64', [binaryen.f32]: 'f32', [binaryen.f64]: 'f64', [binaryen.v128]: 'v128', [binaryen.funcref]: 'funcref', [binaryen.externref]: 'externref' })[x] ?? (() => { throw new Error(`split-lazy: a call of type ${x}`); })());
  const typeUse = (f) => {
    const params = typeName(f.params);
    const results = typeName(f.results);
    return (params.length ? ` (param ${params.join(' ')})` : '') + (results.length ? ` (result ${results.join(' ')})` : '');
  };
  const tableRef = `$${/^[\w.]+$/.test(table) ? table : `"${table}"`}`;
  const nameRe = /\$(?:"((?:[^"\\]|\\.)*)"|([^\s()]+))/y;
  const open = []; // [indent, slot] of the calls whose `)` is to come
  const out = [];
  let rewritten = 0;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (open.length && open[open.length - 1][0] === indent && line.trim() === ')') {
      out.push(`${' '.repeat(indent + 1)}(i32.const ${open.pop()[1]})`);
    }
    const m = /^\s*\((return_)?call \$/.exec(line);
    if (m) {
      nameRe.lastIndex = m[0].length - 1;
      const n = nameRe.exec(line);
      const name = n[1] !== undefined ? n[1].replace(/\\(.)/g, '$1') : n[2];
      if (slots.has(name)) {
        const rest = line.slice(nameRe.lastIndex);
        const head = `${' '.repeat(indent)}(${m[1] ?? ''}call_indirect ${tableRef}${typeUse(sigs.get(name))}`;
        if (rest === ')') out.push(`${head} (i32.const ${slots.get(name)}))`);
        else if (rest === '') {
          out.push(head);
          open.push([indent, slots.get(name)]);
        } else throw new Error(`split-lazy: a call not as expected: ${line.slice(0, 120)}`);
        rewritten++;
        continue;
      }
    }
    out.push(line);
  }
  if (open.length || rewritten === 0) throw new Error('split-lazy: the calls through the table were not all closed');
  return out.join('\n');
}

// The functions of binaryen's text of a module put in an order where gzip
// finds more of each in the one before it (its window is 32 kB): starting
// from the first, each is followed by the one most like one of the last
// `BACK` written (MinHash of its body's pairs of consecutive lines: `K`
// hashes, the share of equal ones estimating their likeness), or, where none
// shares more than `ALIKE` of them, by the first left in the order given (by
// name: www/index.html's `--reorder-functions-by-name`). Only the order
// changes (and with it the functions' indices, which the text names by name);
// 4.6 kB less gzipped, for about 15 s of the build (BACK 1: 4.0 kB, 5 s; 12:
// 4.6 kB, 65 s). Which BACK does best moves with the code by a few hundred
// bytes (docs/performance.md, pagesize16); 6 on main 22e2e02 (pagesize19:
// 2, 3, 4, 5, 6, 7, 8 gave 305,833, 306,344, 305,975, 306,068, 305,414,
// 305,736, 305,996 bytes of wasm gzipped).
const K = 256;
const ALIKE = 12;
// (lazygate20: 2 to 8 gave 293,789, 292,883, 292,915, 293,278, 293,011,
// 292,956, 293,183.) So the page is written in three orders (`BACKS`) and
// the smallest gzipped kept: the same functions; SPLIT_LAZY_BACK=N writes
// only N's.
const BACKS = process.env.SPLIT_LAZY_BACK ? [Number(process.env.SPLIT_LAZY_BACK)] : [5, 6, 7];
function similarOrders(text, backs) {
  const head = [];
  const funcs = [];
  const tail = [];
  let cur = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(' (func ')) {
      cur = [line];
      funcs.push(cur);
    } else if (line.startsWith(' (') || line === ')') {
      cur = null;
      (funcs.length ? tail : head).push(line);
    } else if (cur) cur.push(line);
    else (funcs.length ? tail : head).push(line);
  }
  const hash = (str) => {
    let h = 2166136261;
    for (let i = 0; i < str.length; i++) h = Math.imul(h ^ str.charCodeAt(i), 16777619);
    return h >>> 0;
  };
  const seeds = Array.from({ length: K }, (_, i) => Math.imul(i, 0x9e3779b1) >>> 0);
  const sigs = funcs.map((f) => {
    const body = f.slice(1).map((l) => l.trim());
    const pairs = new Set();
    for (let i = 0; i + 1 < body.length; i++) pairs.add(`${body[i]}|${body[i + 1]}`);
    if (pairs.size === 0) pairs.add(body.join('|'));
    const sig = new Uint32Array(K).fill(0xffffffff);
    for (const p of pairs) {
      const b = hash(p);
      for (let k = 0; k < K; k++) {
        const v = (Math.imul(b ^ seeds[k], 0x85ebca6b) ^ (b >>> 13)) >>> 0;
        if (v < sig[k]) sig[k] = v;
      }
    }
    return sig;
  });
  return backs.map((back) => [...head, ...greedyOrder(sigs, back).flatMap((i) => funcs[i]), ...tail].join('\n'));
}

// `similarOrders`'s greedy walk over the functions' signatures for one BACK.
function greedyOrder(sigs, BACK) {
  const n = sigs.length;
  const used = new Uint8Array(n);
  const order = [];
  let next = 0; // the first left in the given order
  for (let at = 0; order.length < n; ) {
    used[at] = 1;
    order.push(at);
    while (next < n && used[next]) next++;
    let best = next;
    let most = ALIKE;
    for (let j = next; j < n; j++) {
      if (used[j]) continue;
      // Its likeness to the nearest of the last BACK written.
      let same = 0;
      for (let q = Math.max(0, order.length - BACK); q < order.length; q++) {
        let equal = 0;
        for (let k = 0; k < K; k++) if (sigs[order[q]][k] === sigs[j][k]) equal++;
        if (equal > same) same = equal;
      }
      if (same > most) (most = same), (best = j);
    }
    at = best;
  }
  return order;
}

// www/index.html's wasm-opt features (the input has no features section;
// SIMD: xtask/src/nightly.rs builds the page with it).
const FEATURES = (() => {
  const F = binaryen.Features;
  return F.BulkMemory | F.BulkMemoryOpt | F.NontrappingFPToInt | F.SignExt | F.MutableGlobals | F.ReferenceTypes | F.Multivalue | F.SIMD128;
})();

// The names of the functions of `wasm` (the page's, with names) that the
// first built-in scenario's run reaches (src/first_run.rs): each function
// made to set a global of its own on entry, the module instantiated in node
// with its wasm-bindgen glue (`glueFile`; `main` returns where there is no
// window) and its `first_run` called.
export async function firstRun(wasm, glueFile) {
  const mod = binaryen.readBinary(wasm, FEATURES);
  const names = [];
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = mod.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(f);
    if (info.module) continue; // imported
    const g = `cover${names.length}`;
    mod.addGlobal(g, binaryen.i32, true, mod.i32.const(0));
    mod.addGlobalExport(g, g);
    binaryen.Function.setBody(f, mod.block(null, [mod.global.set(g, mod.i32.const(1)), info.body], info.results));
    names.push(info.name);
  }
  const bytes = mod.emitBinary();
  mod.dispose();
  // An ES module whatever node makes of a `.js` outside a package.
  const copy = join(dirname(glueFile), 'first-run.tmp.mjs');
  writeFileSync(copy, readFileSync(glueFile));
  try {
    const glue = await import(pathToFileURL(copy).href);
    if (typeof glue.first_run !== 'function') throw new Error('split-lazy: the glue has no first_run (src/first_run.rs)');
    const exports = glue.initSync({ module: new WebAssembly.Module(bytes) });
    glue.first_run();
    return new Set(names.filter((_, i) => exports[`cover${i}`].value));
  } finally {
    rmSync(copy);
  }
}

// `wasm` (with names) split: { primary, lazy, moved } (bytes without names,
// and the moved functions' count), or null when nothing matches. `covered`:
// what the first built-in's run reaches (`firstRun`): the functions of `RARE`
// it does not move too.
export function splitLazy(wasm, { chunks = null, roots = ROOTS, notRoots = NOT_ROOTS, allowed = ENTRIES, covered = null } = {}) {
  const features = FEATURES;
  const mod = binaryen.readBinary(wasm, features);
  const { funcs, pinned, other } = graph(mod);
  const callers = new Map();
  for (const [n, f] of funcs) {
    for (const c of f.calls) {
      if (!callers.has(c)) callers.set(c, new Set());
      callers.get(c).add(n);
    }
  }
  const moved = new Set();
  for (const n of funcs.keys()) {
    if (roots.some((r) => r.test(n)) && !notRoots.some((r) => r.test(n))) moved.add(n);
  }
  // The core's rare paths (`RARE`): what the first built-in's run does not
  // reach, nor code that runs on any input (`ANY_INPUT`, directly or not);
  // each may be entered from the page's code (once the module is in).
  const rare = new Set();
  if (covered) {
    const anyInput = new Set();
    const stack = [...funcs.keys()].filter((n) => ANY_INPUT.some((r) => r.test(n)));
    while (stack.length) {
      const n = stack.pop();
      if (anyInput.has(n)) continue;
      anyInput.add(n);
      for (const c of funcs.get(n)?.calls ?? []) stack.push(c);
    }
    for (const n of funcs.keys()) {
      if (RARE.test(n) && !covered.has(n) && !anyInput.has(n) && !(pinned.has(n) && FORMATTING.test(n) && !WIRE_FORMATTING.test(n)) && !notRoots.some((r) => r.test(n))) rare.add(n);
    }
    // ... each entered only by the simulation itself: every caller moves
    // too, or is the core's code that ran in the first run (whose branches
    // are the first built-in's, whoever calls it), or a root's. A function
    // that the views call (a state's name, a flight's outcome), or one called
    // by such a function that the first run did not run, stays.
    for (let shrank = true; shrank; ) {
      shrank = false;
      for (const n of rare) {
        const ok = (c) => rare.has(c) || moved.has(c) || (covered.has(c) && RARE.test(c));
        if (![...(callers.get(n) ?? [])].every(ok)) {
          rare.delete(n);
          shrank = true;
        }
      }
    }
    for (const n of rare) moved.add(n);
    if (process.env.SPLIT_LAZY_LIST) for (const n of rare) console.log(`rare${pinned.has(n) ? ' (table)' : ''} ${n}`);
  }
  const root = (n) => rare.has(n) || roots.some((r) => r.test(n));
  if (moved.size === 0) return null;
  const grow = () => {
    for (let grew = true; grew; ) {
      grew = false;
      for (const n of funcs.keys()) {
        if (moved.has(n) || pinned.has(n)) continue;
        const cs = callers.get(n);
        if (cs && [...cs].every((c) => moved.has(c))) {
          moved.add(n);
          grew = true;
        }
      }
    }
  };
  grow();
  // Called from the page's code and not an entry: kept, with what only it calls.
  for (let shrank = true; shrank; ) {
    shrank = false;
    for (const n of moved) {
      if (rare.has(n) || allowed.some((r) => r.test(n))) continue;
      if ([...(callers.get(n) ?? [])].some((c) => !moved.has(c))) {
        moved.delete(n);
        shrank = true;
      }
    }
    if (shrank) {
      // What the kept ones call is called from the page's code now.
      const keep = new Set(moved);
      moved.clear();
      for (const n of keep) if (root(n) || pinned.has(n) || [...(callers.get(n) ?? [])].every((c) => keep.has(c))) moved.add(n);
    }
  }
  for (const n of moved) {
    if (funcs.get(n).bulk) throw new Error(`split-lazy: ${n} uses ref.func or a segment; keep it`);
  }
  // Moved functions the page's module still names: called from outside,
  // pinned (table, export) — these become its imports from the glue.
  const entries = [...moved].filter((n) => pinned.has(n) || [...(callers.get(n) ?? [])].some((c) => !moved.has(c)));
  // No way into the lazy module is taken by the first built-in's run (but
  // the coverage run's own export): a first view would load the module
  // synchronously for it (a console warning; a page error in the e2e tests).
  const ran = covered ? entries.filter((n) => covered.has(n) && !FIRST_RUN.test(n)) : [];
  if (ran.length) {
    throw new Error(
      `split-lazy: the first built-in scenario's run (src/first_run.rs) enters the lazy module, which a first view must never load, at ${ran.length} function(s); keep them in the page (NOT_ROOTS) or enter them only after lazy::load():\n  ${ran.join('\n  ')}`,
    );
  }
  if (covered && !entries.some((n) => FIRST_RUN.test(n))) throw new Error('split-lazy: first_run (src/first_run.rs) did not move');
  if (process.env.SPLIT_LAZY_LIST) {
    for (const n of entries) {
      const out = [...(callers.get(n) ?? [])].filter((c) => !moved.has(c));
      if (out.length) console.log(`entry ${n}\n   <- ${out.join('\n   <- ')}`);
    }
  }
  // Functions of the page's module the lazy one calls.
  const needed = new Set();
  for (const n of moved) for (const c of funcs.get(n).calls) if (!moved.has(c)) needed.add(c);

  // The constant data only moved code reads: the lazy module's own.
  const data = lazyData(chunks, mod, funcs, moved, other);

  let lazy = new binaryen.Module();
  lazy.setFeatures(features);
  let nextExport = 0;
  const exportName = () => base36(nextExport++);
  // Memory, tables, globals: all of them, imported from `p`.
  const memExport = [];
  for (let i = 0; i < mod.getNumExports(); i++) {
    const e = binaryen.getExportInfo(mod.getExportByIndex(i));
    if (e.kind === binaryen.ExternalMemory) memExport.push(e);
  }
  if (memExport.length !== 1) throw new Error('split-lazy: the page must export its one memory');
  // Its data runs joined over short gaps (the same constant bytes written
  // again, or padding).
  const lazyRuns = [];
  for (const [start, end] of data.runs ?? []) {
    const last = lazyRuns[lazyRuns.length - 1];
    if (last && start - last[1] < 16) last[1] = end;
    else lazyRuns.push([start, end]);
  }
  lazy.setMemory(
    0,
    -1,
    null,
    lazyRuns.map(([start, end]) => ({ offset: lazy.i32.const(start), data: data.bytes(start, end), passive: false })),
    false,
    false,
    memExport[0].value,
  );
  lazy.addMemoryImport(memExport[0].value, 'p', memExport[0].name);
  for (let i = 0; i < mod.getNumTables(); i++) {
    const ref = mod.getTableByIndex(i);
    const t = binaryen.getTableInfo(ref);
    const e = exportName();
    mod.addTableExport(t.name, `t${e}`);
    lazy.addTable(t.name, 0, -1, binaryen._BinaryenTableGetType(ref));
    lazy.addTableImport(t.name, 'p', `t${e}`);
  }
  for (let i = 0; i < mod.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
    const e = `g${exportName()}`;
    mod.addGlobalExport(g.name, e);
    lazy.addGlobalImport(g.name, 'p', e, g.type, g.mutable);
  }
  // The page's functions that the lazy module calls: appended to the page's
  // function table, which the lazy module calls them through (an element is
  // a function's index where an export is a name too: 1.3 kB less gzipped).
  // Imported here by their names meanwhile (unused once `viaTable` rewrote
  // the calls, then removed).
  let funcTable = null;
  for (let i = 0; i < mod.getNumTables(); i++) {
    const ref = mod.getTableByIndex(i);
    if (binaryen._BinaryenTableGetType(ref) === binaryen.funcref) funcTable ??= ref;
  }
  if (!funcTable) throw new Error('split-lazy: the page has no function table');
  const table = binaryen.getTableInfo(funcTable);
  const slots = new Map([...needed].sort().map((n, i) => [n, table.initial + i]));
  const sigs = new Map();
  for (const n of needed) {
    const f = binaryen.getFunctionInfo(mod.getFunction(n));
    sigs.set(n, f);
    lazy.addFunctionImport(n, 'p', `f${exportName()}`, f.params, f.results);
  }
  mod.addActiveElementSegment(table.name, 'lazy-calls', [...slots.keys()], mod.i32.const(table.initial));
  binaryen._BinaryenTableSetInitial(funcTable, table.initial + slots.size);
  if (table.max !== undefined) binaryen._BinaryenTableSetMax(funcTable, table.initial + slots.size);
  for (const n of moved) {
    const f = binaryen.getFunctionInfo(mod.getFunction(n));
    lazy.addFunction(n, f.params, f.results, f.vars, lazy.copyExpression(f.body));
  }
  const entryNames = new Map(entries.map((n, i) => [n, base36(i)]));
  for (const [n, e] of entryNames) lazy.addFunctionExport(n, e);
  // The page's module: moved functions out; those it names, imports.
  for (const n of moved) {
    const f = binaryen.getFunctionInfo(mod.getFunction(n));
    mod.removeFunction(n);
    if (entryNames.has(n)) mod.addFunctionImport(n, 'l', entryNames.get(n), f.params, f.results);
  }
  // The element segments made again: their references to the functions now
  // imported were typed for defined functions.
  const segments = [];
  for (let i = 0; i < mod.getNumElementSegments(); i++) {
    segments.push(binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(i)));
  }
  for (const s of segments) {
    if (!s.table) throw new Error(`split-lazy: element segment ${s.name} is not active`);
    mod.removeElementSegment(s.name);
    mod.addActiveElementSegment(s.table, s.name, s.data, mod.copyExpression(s.offset));
  }
  if (!mod.validate()) throw new Error('split-lazy: the page module does not validate');
  if (!lazy.validate()) throw new Error('split-lazy: the lazy module does not validate');
  lazy = binaryen.parseText(viaTable(lazy.emitText(), table.name, slots, sigs));
  lazy.setFeatures(features);
  if (!lazy.validate()) throw new Error('split-lazy: the lazy module does not validate once its calls go through the table');
  lazy.runPasses(['remove-unused-module-elements']);
  for (let i = 0; i < lazy.getNumFunctions(); i++) {
    if (binaryen.getFunctionInfo(lazy.getFunctionByIndex(i)).module === 'p') throw new Error('split-lazy: the lazy module still imports a function');
  }
  // Emitted as wasm-opt emits with www/index.html's levels (its StackIR
  // opts keep values on the stack), without names.
  binaryen.setOptimizeLevel(2);
  binaryen.setShrinkLevel(1);
  binaryen.setDebugInfo(false);
  let primary = null;
  for (const text of similarOrders(mod.emitText(), BACKS)) {
    const page = binaryen.parseText(text);
    page.setFeatures(features);
    if (!page.validate()) throw new Error('split-lazy: the page module does not validate in its new order');
    const bytes = data.runs ? withoutData(page.emitBinary(), data.runs) : page.emitBinary();
    page.dispose();
    if (!primary || gzipSync(bytes, { level: 9 }).length < gzipSync(primary, { level: 9 }).length) primary = bytes;
  }
  const dataBytes = (data.runs ?? []).reduce((n, [a, b]) => n + b - a, 0);
  const out = { rare: rare.size, names: entries, primary, lazy: lazy.emitBinary(), moved: moved.size, entries: entries.length, needed: needed.size, data: dataBytes, dataRuns: data.runs ?? [] };
  mod.dispose();
  lazy.dispose();
  return out;
}
