// The playground's simulation worker (src/sim_worker.rs, src/sim_feed.rs):
// runs the page's own wasm module (handed over compiled, with its glue's
// URL: nothing is fetched or compiled twice) and simulates a run ahead of
// the playhead, posting batches of encoded events. Messages in:
// {type: 'load', glue, module}; {type: 'run', id, text} replaces any run;
// {type: 'stop'}. A painter (src/sim_feed.rs, Painter): {type: 'canvas',
// canvas} hands it a canvas's control (an OffscreenCanvas); {type: 'arrows',
// at, protos, colours, w, h, sx, scale} (src/components/arrow_canvas.rs) and
// {type: 'dots', xy, protos, colours, w, h, scale} (message_canvas.rs) paint
// it, answered {type} once on it. Out: {type: 'ready'} (the module loaded);
// {type: 'batch', id, bytes}; {type: 'failed', text} (the module did not
// load: the page simulates and paints in its own thread); {type: 'panic', id, text}.
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
      // The instance's exports: its memory holds the painted pixels.
      wasm = await glue.default({ module_or_path: data.module });
      return glue;
    });
    ready.then(
      () => postMessage({ type: 'ready' }),
      (e) => postMessage({ type: 'failed', text: String(e) }),
    );
  } else if (data.type === 'run') {
    run = data.id;
    ready?.then((glue) => {
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
        postMessage({ type: data.type }); // (the page asks for the next)
      }
    });
  } else if (data.type === 'stop') {
    run = 0;
  }
};

// A drawing of a painter's canvas: painted in the memory, the rectangle that
// changed put on the canvas, which the worker commits when the task ends.
function paint(glue, data) {
  const { w, h } = data;
  // (A new size clears the canvas; the painter then paints it all.)
  if (canvas.width !== w || canvas.height !== h) [canvas.width, canvas.height] = [w, h];
  // The rectangle that changed, and where the pixels are in the memory.
  const r = data.type === 'dots'
    ? glue.dots_paint(data.xy, data.protos, data.colours, w, h, data.scale)
    : glue.arrows_paint(data.at, data.protos, data.colours, w, h, data.sx, data.scale);
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
    let text = String(e);
    try {
      text = glue.sim_panic() || text;
    } catch {}
    run = 0;
    postMessage({ type: 'panic', id, text });
    return;
  }
  const done = bytes[0] !== 0; // read before the bytes are handed over
  postMessage({ type: 'batch', id, bytes }, [bytes.buffer]);
  if (!done) setTimeout(step, 0, glue, id);
}
