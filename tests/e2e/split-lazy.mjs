// The page's wasm split in two (used by minify-glue.mjs, Trunk's post_build
// hook, in release builds): code that a first view of the playground never
// runs (the embed, the long text's view, the real band, the canvases'
// painters, the inspector's reading, what only a click runs, ...) moves to a
// second module, `*_lazy.wasm`, which the page fetches when it first needs
// it (`monscopeLazy()`, src/lazy.rs), so that every first view fetches less
// (docs/performance.md, "Transfer").
//
// What moves: the functions whose names match a pattern of `ROOTS` (not
// `NOT_ROOTS`), and every function that only those reach (all its callers
// moved); of these, one that the page's own code calls must match `ENTRIES`
// (the calls made after `lazy::load()`), or it stays. The page's module keeps its data,
// memory and tables; each moved function it still names (a call, the
// function table, an export) becomes an import `l.NAME` of the glue, which
// forwards to the lazy module's export once loaded. The lazy module imports
// the memory, the tables, the globals and every function of the page's
// module that it calls from `p` (exports the page's module gains, with short
// names). The input must keep its function names (`wasm-opt -g`,
// www/index.html); both outputs are written without them.
import binaryen from 'binaryen';

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
// each defined function, the functions in element segments and exports.
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
  let cur = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(' (func ')) {
      const [name] = readName(line, 7);
      cur = { calls: new Set(), bulk: false };
      funcs.set(name, cur);
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
  }
  return { funcs, pinned };
}

// `wasm` (with names) split: { primary, lazy, moved } (bytes without names,
// and the moved functions' count), or null when nothing matches.
export function splitLazy(wasm, roots = ROOTS, notRoots = NOT_ROOTS, allowed = ENTRIES) {
  // www/index.html's wasm-opt features (the input has no features section;
  // SIMD: xtask/src/nightly.rs builds the page with it).
  const F = binaryen.Features;
  const features =
    F.BulkMemory | F.BulkMemoryOpt | F.NontrappingFPToInt | F.SignExt | F.MutableGlobals | F.ReferenceTypes | F.Multivalue | F.SIMD128;
  const mod = binaryen.readBinary(wasm, features);
  const { funcs, pinned } = graph(mod);
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
      if (allowed.some((r) => r.test(n))) continue;
      if ([...(callers.get(n) ?? [])].some((c) => !moved.has(c))) {
        moved.delete(n);
        shrank = true;
      }
    }
    if (shrank) {
      // What the kept ones call is called from the page's code now.
      const keep = new Set(moved);
      moved.clear();
      for (const n of keep) if (roots.some((r) => r.test(n)) || pinned.has(n) || [...(callers.get(n) ?? [])].every((c) => keep.has(c))) moved.add(n);
    }
  }
  for (const n of moved) {
    if (funcs.get(n).bulk) throw new Error(`split-lazy: ${n} uses ref.func or a segment; keep it`);
  }
  // Moved functions the page's module still names: called from outside,
  // pinned (table, export) — these become its imports from the glue.
  const entries = [...moved].filter((n) => pinned.has(n) || [...(callers.get(n) ?? [])].some((c) => !moved.has(c)));
  if (process.env.SPLIT_LAZY_LIST) {
    for (const n of entries) {
      const out = [...(callers.get(n) ?? [])].filter((c) => !moved.has(c));
      if (out.length) console.log(`entry ${n}\n   <- ${out.join('\n   <- ')}`);
    }
  }
  // Functions of the page's module the lazy one calls.
  const needed = new Set();
  for (const n of moved) for (const c of funcs.get(n).calls) if (!moved.has(c)) needed.add(c);

  const lazy = new binaryen.Module();
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
  lazy.setMemory(0, -1, null, [], false, false, memExport[0].value);
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
  for (const n of needed) {
    const f = binaryen.getFunctionInfo(mod.getFunction(n));
    const e = exportName();
    mod.addFunctionExport(n, e);
    lazy.addFunctionImport(n, 'p', e, f.params, f.results);
  }
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
  lazy.runPasses(['remove-unused-module-elements']);
  // Emitted as wasm-opt emits with www/index.html's levels (its StackIR
  // opts keep values on the stack), without names.
  binaryen.setOptimizeLevel(2);
  binaryen.setShrinkLevel(1);
  binaryen.setDebugInfo(false);
  const out = { names: entries, primary: mod.emitBinary(), lazy: lazy.emitBinary(), moved: moved.size, entries: entries.length, needed: needed.size };
  mod.dispose();
  lazy.dispose();
  return out;
}
