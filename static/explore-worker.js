// The Explore page's worker: runs and shrinks fault schedules with the
// monscope-explore wasm module (src/explore_worker.rs), off the page's main
// thread. Messages in: {type: 'run', cfg, from, count} runs schedules
// from..from+count and answers each ({type: 'ran', index, answer}), then
// {type: 'batch'}; {type: 'shrink', cfg, index} answers {type: 'shrunk',
// index, answer}. The page stops it with worker.terminate().
import init, { explore_job } from './monscope-explore.js';

const ready = init();

onmessage = async ({ data }) => {
  await ready;
  const { mons, strategy, faults, quiet, seed } = data.cfg;
  if (data.type === 'run') {
    for (let index = data.from; index < data.from + data.count; index++) {
      const answer = explore_job(false, mons, strategy, faults, quiet, seed, index);
      postMessage({ type: 'ran', index, answer });
    }
    postMessage({ type: 'batch' });
  } else if (data.type === 'shrink') {
    const answer = explore_job(true, mons, strategy, faults, quiet, seed, data.index);
    postMessage({ type: 'shrunk', index: data.index, answer });
  }
};
