// Shorter names for the wasm's imports from its JS glue. wasm-bindgen names
// each import `__wbg_NAME_HASH` (16 hex digits of hash); the 227 names were
// 7.7 kB in the wasm and again in the glue, and the hashes do not compress.
// This gives each import of the glue's module a short name (`$0`, `$1`, …)
// in the wasm's import section and the same in the glue, where the names are
// the keys of the imports object; the module's own name (`./monscope-web_bg.js`,
// 20 bytes in each of some 280 imports) becomes `as` too, in both. Used by
// minify-glue.mjs (Trunk's post_build hook); docs/performance.md, "Transfer"
// has the numbers.

function leb(bytes, at) {
  let value = 0, shift = 0, b;
  do {
    b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [value, at];
}

function uleb(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

const text = new TextDecoder();
const utf8 = new TextEncoder();

// The length of an import description (kind byte included) at `at`.
function descEnd(bytes, at) {
  const kind = bytes[at++];
  const limits = (p) => {
    const flags = bytes[p++];
    [, p] = leb(bytes, p);
    if (flags & 1) [, p] = leb(bytes, p);
    return p;
  };
  switch (kind) {
    case 0: return leb(bytes, at)[1]; // function: type index
    case 1: return limits(at + 1); // table: reference type, limits
    case 2: return limits(at); // memory: limits
    case 3: return at + 2; // global: value type, mutability
    case 4: return leb(bytes, at + 1)[1]; // tag: attribute, type index
    default: throw new Error(`unknown import kind ${kind}`);
  }
}

// `wasm` with the imports of `module` renamed, and the exports whose names
// end in a hash; the module itself named `as` where given; returns the new
// bytes and the maps from old to new names.
export function shortenImports(wasm, module, as = module) {
  const renames = new Map();
  const exports = new Map();
  const out = [wasm.subarray(0, 8)];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, start] = leb(wasm, at + 1);
    const end = start + size;
    if (id === 7) {
      // Exports: the closures' entry points are named with a hash too, at the
      // end (legacy mangling, `..._h0123456789abcdef`) or after each crate's
      // name (v0 mangling, the nightly's: `wasm_bindgen_0123456789abcdef___...`).
      let [count, p] = leb(wasm, start);
      const body = uleb(count);
      for (let i = 0; i < count; i++) {
        const [nlen, n0] = leb(wasm, p);
        const field = text.decode(wasm.subarray(n0, n0 + nlen));
        const [, d] = leb(wasm, n0 + nlen + 1);
        let name = field;
        if (/__h[0-9a-f]{16}(_\d+)?$|_[0-9a-f]{16}___/.test(field)) {
          name = `$x${exports.size.toString(36)}`;
          exports.set(field, name);
        }
        const n = utf8.encode(name);
        body.push(...uleb(n.length), ...n, ...wasm.subarray(n0 + nlen, d));
        p = d;
      }
      if (p !== end) throw new Error('export section: unexpected trailing bytes');
      out.push(Uint8Array.from([7, ...uleb(body.length), ...body]));
      at = end;
      continue;
    }
    if (id !== 2) {
      out.push(wasm.subarray(at, end));
      at = end;
      continue;
    }
    let [count, p] = leb(wasm, start);
    const body = uleb(count);
    for (let i = 0; i < count; i++) {
      const [mlen, m0] = leb(wasm, p);
      const mod = text.decode(wasm.subarray(m0, m0 + mlen));
      const [flen, f0] = leb(wasm, m0 + mlen);
      const field = text.decode(wasm.subarray(f0, f0 + flen));
      const d = descEnd(wasm, f0 + flen);
      let name = field;
      if (mod === module) {
        name = `$${renames.size.toString(36)}`;
        if (renames.has(field)) throw new Error(`import ${field} twice`);
        renames.set(field, name);
      }
      const n = utf8.encode(name);
      const m = mod === module ? utf8.encode(as) : wasm.subarray(m0, m0 + mlen);
      body.push(...uleb(m.length), ...m, ...uleb(n.length), ...n, ...wasm.subarray(f0 + flen, d));
      p = d;
    }
    if (p !== end) throw new Error('import section: unexpected trailing bytes');
    out.push(Uint8Array.from([2, ...uleb(body.length), ...body]));
    at = end;
  }
  const bytes = new Uint8Array(out.reduce((n, part) => n + part.length, 0));
  out.reduce((offset, part) => (bytes.set(part, offset), offset + part.length), 0);
  return { bytes, renames, exports };
}

// The glue with its imports object's keys renamed (each there once), its
// uses of the renamed exports (at least once each), and the module's key
// in the imports object (`"FROM": import0`, once) named `as`.
export function renameInGlue(js, renames, exports = new Map(), module = null, as = module) {
  if (module !== as) {
    const key = `"${module}": import0`;
    if (js.split(key).length !== 2) throw new Error(`the glue names ${key} ${js.split(key).length - 1} times`);
    js = js.replace(key, () => `${as}: import0`);
  }
  for (const [names, once] of [[renames, true], [exports, false]]) {
    for (const [from, to] of names) {
      const re = new RegExp(`\\b${from}\\b`, 'g');
      const hits = js.match(re)?.length ?? 0;
      if (once ? hits !== 1 : hits < 1) throw new Error(`the glue names ${from} ${hits} times`);
      js = js.replace(re, () => to);
    }
  }
  return js;
}
