// The Import page's worker: reads ceph-mon logs with the monscope-import wasm
// module (src/import_worker.rs), off the page's main thread. Messages in:
// {type: 'import', names, buffers} (one ArrayBuffer per file, transferred)
// answers {type: 'imported', answer} (the module's JSON text);
// {type: 'draw', from_ms, to_ms} answers {type: 'drawn', svg};
// {type: 'share', from_ms, to_ms} answers {type: 'shared', link} (a link to
// that window, or a sentence saying why not); {type: 'open', link} imports
// what such a link carries and answers as 'import' does. The playground's
// "Export trace" and "Export SVG" (src/trace_export.rs) send {type: 'json',
// bytes} and {type: 'svg', bytes, title, names, from, to} (its run in the
// trace's binary encoding; µs) and get {text} (the JSON lines, the SVG) or
// {error}. The playground opening #imported sends {type: 'read', json} (the
// trace the Import page left in localStorage) and gets {text} (the history
// read and encoded, src/imported.rs) or {error}.
// The playground's real band sends {type: 'bands', bytes} (a `monscope real
// --json` file) and gets {text} (its bands, encoded: src/handover.rs) or {error}.
import init, { import_logs, draw, share, open_link, trace_json, trace_svg, read_imported, read_bands } from './monscope-import.js';

const ready = init();

onmessage = async ({ data }) => {
  if (['json', 'svg', 'read', 'bands'].includes(data.type)) {
    try {
      await ready;
      const { bytes, title, names, from, to } = data;
      const text = data.type === 'json' ? trace_json(bytes)
        : data.type === 'svg' ? trace_svg(bytes, title, names, from, to)
        : data.type === 'bands' ? read_bands(bytes) : read_imported(data.json);
      postMessage({ text });
    } catch (e) {
      postMessage({ error: String(e) });
    }
    return;
  }
  await ready;
  if (data.type === 'import') {
    const lens = new Uint32Array(data.buffers.map((b) => b.byteLength));
    const all = new Uint8Array(lens.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const b of data.buffers) {
      all.set(new Uint8Array(b), at);
      at += b.byteLength;
    }
    postMessage({ type: 'imported', answer: import_logs(data.names, all, lens) });
  } else if (data.type === 'draw') {
    postMessage({ type: 'drawn', svg: draw(data.from_ms, data.to_ms) });
  } else if (data.type === 'share') {
    postMessage({ type: 'shared', link: share(data.from_ms, data.to_ms) });
  } else if (data.type === 'open') {
    postMessage({ type: 'imported', answer: open_link(data.link) });
  }
};
