// The Import page (import.html): ceph-mon logs read in a Web Worker
// (import-worker.js), shown as the report, the space-time diagram of a time
// window, and the inferred scenario with its playground link.
const $ = (id) => document.getElementById(id);
let worker = null;
let traceUrl = null;

function startWorker() {
  if (worker) return worker;
  worker = new Worker('import-worker.js', { type: 'module' });
  worker.onmessage = ({ data }) => {
    if (data.type === 'imported') show(JSON.parse(data.answer));
    else if (data.type === 'drawn') $('diagram').innerHTML = data.svg;
    else if (data.type === 'shared') showShared(data.link);
  };
  worker.onerror = (e) => {
    $('status').textContent = `The import stopped: ${e.message || 'the worker failed'}.`;
  };
  return worker;
}

async function importFiles(files) {
  files = [...files];
  if (!files.length) return;
  const mb = files.reduce((a, f) => a + f.size, 0) / 1e6;
  $('status').textContent = `Reading ${files.length} file(s), ${mb.toFixed(1)} MB…`;
  const buffers = await Promise.all(files.map((f) => f.arrayBuffer()));
  startWorker().postMessage({ type: 'import', names: files.map((f) => f.name), buffers }, buffers);
}

// The playground (src/imported.rs) reads the trace and the inferred
// scenario from these keys when opened at #imported.
let last = null;
$('playground').addEventListener('click', () => {
  const problem = $('playground-problem');
  problem.textContent = '';
  if (!last || !last.trace) {
    problem.textContent = 'The trace of these logs is too large to open in the playground.';
    return;
  }
  try {
    localStorage.setItem('monscope-imported-trace', last.trace);
    localStorage.setItem('monscope-imported-scenario', last.scenario);
  } catch (e) {
    problem.textContent = `The browser would not keep the trace (${e.name}): it is too large to open in the playground.`;
    return;
  }
  location.href = './#imported';
});

function show(a) {
  last = a;
  if (a.error) {
    $('result').hidden = true;
    $('status').textContent = a.error;
    return;
  }
  $('status').textContent = '';
  $('result').hidden = false;
  const first = a.summary.split('\n')[0];
  $('files').textContent = first.replace(/^imported from logs: /, '');
  $('problems').replaceChildren(...a.problems.map((p) => Object.assign(document.createElement('li'), { textContent: p })));
  $('summary').textContent = a.summary;
  $('scenario').textContent = a.scenario;
  $('open').href = './' + a.link;
  $('from').value = (a.window[0] / 1e6).toFixed(1);
  $('to').value = (a.window[1] / 1e6).toFixed(1);
  $('end').textContent = `the logs span ${(a.end / 1e6).toFixed(1)} s`;
  $('diagram').innerHTML = a.svg;
  if (traceUrl) URL.revokeObjectURL(traceUrl);
  traceUrl = null;
  if (a.trace) {
    traceUrl = URL.createObjectURL(new Blob([a.trace], { type: 'application/json' }));
    $('download').href = traceUrl;
    $('download').download = 'imported.jsonl';
    $('too-large').hidden = true;
  } else {
    $('download').removeAttribute('href');
    $('too-large').hidden = false;
    $('too-large').textContent = 'The trace of these logs is too large to offer here; `monscope import LOG... --json` writes it.';
  }
}

$('pick').addEventListener('change', (e) => {
  importFiles(e.target.files);
  // Picking the same files again is a new import.
  e.target.value = '';
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  importFiles(e.dataTransfer.files);
});
const ms = (id) => Math.max(0, Number($(id).value) * 1000);
$('redraw').addEventListener('click', () => {
  startWorker().postMessage({ type: 'draw', from_ms: ms('from'), to_ms: ms('to') });
});
$('share').addEventListener('click', () => {
  startWorker().postMessage({ type: 'share', from_ms: ms('from'), to_ms: ms('to') });
});

function showShared(link) {
  const out = $('share-link');
  out.hidden = false;
  if (link.startsWith('import.html#')) {
    const href = new URL(link, location.href).href;
    out.replaceChildren('A link to this window (its log lines, in the link): ',
      Object.assign(document.createElement('a'), { href, textContent: href.length > 80 ? href.slice(0, 77) + '…' : href, id: 'window-link' }),
      ` (${href.length} characters)`);
  } else {
    out.textContent = link.charAt(0).toUpperCase() + link.slice(1) + '.';
  }
}

// A window's link: import the lines it carries.
if (location.hash.startsWith('#s1=')) {
  $('status').textContent = 'Opening the logs this link carries…';
  startWorker().postMessage({ type: 'open', link: location.hash });
}
