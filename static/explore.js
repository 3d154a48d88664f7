// The Explore page (explore.html): random fault schedules run in a Web Worker
// (explore-worker.js), progress, and every failure with a link that opens it
// in the playground at the moment it goes wrong. The first failure of each
// class is shrunk, as `monscope explore --shrink 1` does; the schedules and
// results are the CLI's for the same settings (README: "Exploring").
const $ = (id) => document.getElementById(id);
const BATCH = 10;
/// Failures shown per class (the others are counted).
const SHOWN = 5;

let worker = null;
let run = null;

/// A worker answer: {count, cls, at, link, what, scenario} or {count} for a pass.
function parse(answer) {
  const nl = answer.indexOf('\n');
  const head = nl < 0 ? answer : answer.slice(0, nl);
  const [count, cls, at, link, ...what] = head.split('\t');
  if (cls === undefined) return { count: Number(count) };
  return { count: Number(count), cls, at: Number(at), link, what: what.join('\t'), scenario: answer.slice(nl + 1) };
}

const secs = (us) => `${(us / 1e6).toFixed(3).replace(/\.?0+$/, '')}s`;

function settings() {
  const int = (id, lo, hi) => Math.min(hi, Math.max(lo, Math.floor(Number($(id).value) || lo)));
  return {
    runs: int('runs', 1, 100000),
    cfg: {
      seed: int('seed', 0, Number.MAX_SAFE_INTEGER),
      mons: int('mons', 3, 7),
      strategy: int('strategy', 1, 3),
      faults: Math.round(Math.max(0.1, Math.min(60, Number($('minutes').value) || 1)) * 60),
      quiet: int('quiet', 0, 3600),
    },
  };
}

function status(text) {
  $('status').textContent = text;
}

function progress() {
  const r = run;
  const elapsed = (performance.now() - r.started) / 1000;
  $('bar').max = r.runs;
  $('bar').value = r.done;
  const rate = elapsed > 0 ? Math.round(r.done / elapsed) : 0;
  const fails = r.failures.length;
  $('progress-text').textContent =
    `${r.done} / ${r.runs} schedules · ${rate}/s · ${fails} failure${fails === 1 ? '' : 's'}`;
  const classes = {};
  for (const f of r.failures) classes[f.cls] = (classes[f.cls] || 0) + 1;
  const list = Object.entries(classes).map(([c, n]) => `${c} ${n}`).join(', ');
  $('classes').textContent = list ? `Failures by class: ${list} (the first ${SHOWN} of each are listed).` : '';
}

/// One failure's entry: what, when, its scenario and the playground link.
function entry(index, f, shrunk) {
  const li = document.createElement('li');
  li.className = 'failure';
  li.dataset.index = index;
  li.dataset.class = f.cls;
  li.dataset.at = f.at;
  const head = document.createElement('p');
  const strong = document.createElement('strong');
  strong.textContent = f.cls;
  head.append(strong, ` · schedule ${index} · at ${secs(f.at)}: ${f.what}`);
  const open = document.createElement('a');
  open.className = 'open';
  open.href = `./${f.link}`;
  open.target = '_blank';
  open.rel = 'noopener';
  open.textContent = `Open in the playground at ${secs(f.at)} ↗`;
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = shrunk === undefined
    ? (f.shrinking ? 'shrinking…' : 'not shrunk (the first of each class is)')
    : `shrunk in ${shrunk} runs`;
  const pre = document.createElement('pre');
  pre.textContent = f.scenario;
  li.append(head, open, note, pre);
  return li;
}

function show(index) {
  const f = run.byIndex.get(index);
  if (f.rank >= SHOWN) return;
  const li = entry(index, f, f.shrunkRuns);
  const old = $('failures').querySelector(`li[data-index="${index}"]`);
  if (old) old.replaceWith(li);
  else {
    // In index order, whatever order answers came in.
    const after = [...$('failures').children].find((e) => Number(e.dataset.index) > index);
    $('failures').insertBefore(li, after || null);
  }
}

function onMessage({ data }) {
  const r = run;
  if (!r || r.worker !== this) return;
  if (data.type === 'ran') {
    const a = parse(data.answer);
    r.done += 1;
    r.events += a.count;
    if (a.cls !== undefined) {
      a.rank = r.failures.filter((f) => f.cls === a.cls).length;
      r.failures.push(a);
      r.byIndex.set(data.index, a);
      if (!r.shrinkClasses.has(a.cls)) {
        r.shrinkClasses.add(a.cls);
        a.shrinking = true;
        r.pending += 1;
        this.postMessage({ type: 'shrink', cfg: r.cfg, index: data.index });
      }
      show(data.index);
    }
    progress();
  } else if (data.type === 'batch') {
    if (r.next < r.runs) next(r);
    else if (r.pending === 0) finish();
  } else if (data.type === 'shrunk') {
    const s = parse(data.answer);
    r.pending -= 1;
    const f = r.byIndex.get(data.index);
    if (f && s.cls !== undefined) {
      Object.assign(f, { at: s.at, link: s.link, what: s.what, scenario: s.scenario });
      f.shrunkRuns = s.count;
      f.shrinking = false;
      show(data.index);
    }
    if (r.next >= r.runs && r.done >= r.runs && r.pending === 0) finish();
  }
}

function next(r) {
  const count = Math.min(BATCH, r.runs - r.next);
  r.worker.postMessage({ type: 'run', cfg: r.cfg, from: r.next, count });
  r.next += count;
}

function finish() {
  const r = run;
  const secsTaken = (performance.now() - r.started) / 1000;
  status(`Done: ${r.runs} schedules in ${secsTaken.toFixed(1)} s, ${r.failures.length} failure${r.failures.length === 1 ? '' : 's'}.`);
  $('start').disabled = false;
  $('stop').disabled = true;
  document.body.dataset.state = 'done';
}

function start() {
  stop(false);
  const { runs, cfg } = settings();
  worker = new Worker('explore-worker.js', { type: 'module' });
  run = {
    worker, runs, cfg, next: 0, done: 0, events: 0, pending: 0,
    failures: [], byIndex: new Map(), shrinkClasses: new Set(), started: performance.now(),
  };
  worker.onmessage = onMessage;
  worker.onerror = (e) => {
    status(`The worker failed: ${e.message || 'it could not load the explore module'}.`);
    stop(false);
  };
  $('failures').replaceChildren();
  progress();
  status('Running…');
  $('start').disabled = true;
  $('stop').disabled = false;
  document.body.dataset.state = 'running';
  // Two batches in flight keep the worker busy while the page handles answers.
  next(run);
  if (run.next < run.runs) next(run);
}

function stop(byUser = true) {
  if (worker) worker.terminate();
  worker = null;
  if (run) run.worker = null;
  $('start').disabled = false;
  $('stop').disabled = true;
  if (byUser && run) {
    status(`Stopped after ${run.done} schedules.`);
    document.body.dataset.state = 'stopped';
  }
}

$('start').addEventListener('click', start);
$('stop').addEventListener('click', () => stop(true));
