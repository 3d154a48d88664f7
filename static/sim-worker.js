// The playground's simulation worker (src/sim_worker.rs, src/sim_feed.rs):
// runs the page's own wasm module (handed over compiled, with its glue's
// URL: nothing is fetched or compiled twice) and simulates a run ahead of
// the playhead, posting batches of encoded events. Messages in:
// {type: 'load', glue, module}; {type: 'run', id, text} replaces any run;
// {type: 'stop'}; {type: 'arrows', id, at, protos, colours, w, h, sx, scale}
// paints the timeline's arrows (src/components/arrow_canvas.rs). Out: {type: 'batch', id, bytes}; {type: 'failed', text}
// (the module did not load: the page simulates in its own thread);
// {type: 'panic', id, text}; {type: 'arrows', id, px}.
// Wall ms simulated between two batches: each is read back in slices of a
// few ms, and copied into the page's wasm at once, so batches stay small.
const BATCH_MS = 40;
let ready = null;
let run = 0;

onmessage = ({ data }) => {
  if (data.type === 'load') {
    ready = import(data.glue).then(async (glue) => {
      await glue.default({ module_or_path: data.module });
      return glue;
    });
    ready.catch((e) => postMessage({ type: 'failed', text: String(e) }));
  } else if (data.type === 'run') {
    run = data.id;
    ready?.then((glue) => {
      if (run !== data.id) return;
      const error = glue.sim_start(data.text);
      if (error) postMessage({ type: 'failed', text: error });
      else step(glue, data.id);
    });
  } else if (data.type === 'arrows') {
    ready?.then((glue) => {
      const { id, at, protos, colours, w, h, sx, scale } = data;
      const px = glue.arrows_paint(at, protos, colours, w, h, sx, scale);
      postMessage({ type: 'arrows', id, px }, [px.buffer]);
    });
  } else if (data.type === 'stop') {
    run = 0;
  }
};

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
