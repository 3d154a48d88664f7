// The playground's worker (src/sim_worker.rs, src/sim_feed.rs): the page's
// own wasm module (handed over compiled, with its glue's URL), simulating a
// run ahead of the playhead or painting a canvas handed over to it. In:
// {type: 'load', glue, module}; 'run' {id, text, lazy} replaces any run
// (lazy: load the lazy module first); 'stop';
// 'canvas' {canvas} (an OffscreenCanvas); 'arrows' and 'dots' (drawings of
// it: arrow_canvas.rs, message_canvas.rs). Out: 'ready'; 'batch' {id,
// bytes}; 'failed' {text} (the page simulates and paints itself); 'panic'
// {id, text}; a drawing's type once it is on the canvas.
// Wall ms simulated between two batches: each is read back in slices of a
// few ms, and copied into the page's wasm at once, so batches stay small.
const BATCH_MS = 40;
let ready = null;
let run = 0;
let canvas = null;
let ctx = null;
let wasm = null;

onmessage = ({ data }) => {
  if (data.type === 'load') {
    ready = import(data.glue).then(async (glue) => {
      wasm = await glue.default({ module_or_path: data.module });
      // A painter (sim-worker.js#dots or #arrows): the painters are in the
      // page's lazy module (src/lazy.rs), loaded before it is ready.
      if (location.hash) await globalThis.monscopeLazy?.();
      return glue;
    });
    ready.then(
      () => postMessage({ type: 'ready' }),
      (e) => postMessage({ type: 'failed', text: String(e) }),
    );
  } else if (data.type === 'run') {
    run = data.id;
    ready?.then(async (glue) => {
      // A text other than the first built-in's: the core's paths that one
      // never reaches are in the lazy module (src/first_run.rs), loaded first.
      if (data.lazy) await globalThis.monscopeLazy?.();
      if (run !== data.id) return;
      const error = glue.sim_start(data.text);
      if (error) postMessage({ type: 'failed', text: error });
      else step(glue, data.id);
    });
  } else if (data.type === 'canvas') {
    canvas = data.canvas;
    ctx = canvas.getContext('2d');
  } else if (data.type === 'arrows' || data.type === 'dots') {
    ready?.then((glue) => {
      try {
        paint(glue, data);
      } finally {
        postMessage({ type: data.type });
      }
    });
  } else if (data.type === 'stop') {
    run = 0;
  }
};

// Painted in the memory, the rectangle that changed put on the canvas (a new
// size clears it: then all of it changed); committed when the task ends.
function paint(glue, d) {
  const { w, h } = d;
  if (canvas.width !== w || canvas.height !== h) [canvas.width, canvas.height] = [w, h];
  const r = d.type === 'dots'
    ? glue.dots_paint(d.xy, d.protos, d.colours, w, h, d.place, d.scale)
    : glue.arrows_paint(d.at, d.protos, d.colours, w, h, d.sx, d.scale);
  if (r.length) {
    const px = new Uint8ClampedArray(wasm.memory.buffer, r[4], w * h * 4);
    ctx.putImageData(new ImageData(px, w, h), 0, 0, r[0], r[1], r[2] - r[0], r[3] - r[1]);
  }
}

// One batch, then the next in a task of its own, so a new run is seen.
function step(glue, id) {
  if (run !== id) return;
  let bytes;
  try {
    bytes = glue.sim_step(BATCH_MS);
  } catch (e) {
    // A panic traps with no message (the build aborts at once: xtask/src/nightly.rs).
    run = 0;
    postMessage({ type: 'panic', id, text: String(e) });
    return;
  }
  const done = bytes[0] !== 0; // read before the bytes are handed over
  postMessage({ type: 'batch', id, bytes }, [bytes.buffer]);
  if (!done) setTimeout(step, 0, glue, id);
}
