//! The page's side of the simulation worker (src/sim_worker.rs,
//! static/sim-worker.js): starts the worker once with the page's own wasm
//! module and glue, asks it to simulate each new run, and reads what it
//! sends back in bounded slices between frames (decode and fold, at most
//! READ_MS a task), showing the run as it grows (`Msg::Grown`) every
//! PUBLISH_MS. Batches of an earlier run are dropped by their run's id.

use crate::app::PUBLISH_MS;
use crate::packed::read_chunk;
use crate::playback::Model;
use crate::sim_worker::{head, EVENTS_AT};
use crate::state::{AppState, Msg};
use gloo::timers::callback::Timeout;
use js_sys::{Object, Reflect, Uint8Array};
use monscope_core::trace::binary::Decoder;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    HtmlCanvasElement, MessageChannel, MessageEvent, MessagePort, Worker, WorkerOptions, WorkerType,
};
use yew::UseReducerDispatcher;

/// Wall milliseconds of reading per task: shorter than the page's own
/// simulation slices (state.rs: SLICE_MS), since the main thread has
/// nothing else to do while the worker simulates, and a task of 20 ms
/// stretched past 50 ms on a loaded machine; at 8 ms, tasks of 5–8 ms of
/// CPU were stretched past 50 ms at load 7–8 (a decoded chunk is about 1 ms).
const READ_MS: f64 = 4.0;

pub struct Feed {
    worker: Worker,
    inner: Rc<RefCell<Inner>>,
    _listener: Closure<dyn FnMut(MessageEvent)>,
    _error: Closure<dyn FnMut()>,
    _reader: Closure<dyn FnMut()>,
}

struct Inner {
    /// The run the worker simulates (its model's id), 0 for none.
    run: u64,
    /// The run so far, as last fed.
    model: Option<Model>,
    /// Batches received and not read yet; the one being read and where.
    queue: VecDeque<Uint8Array>,
    reading: Option<(Rc<[u8]>, usize)>,
    decoder: Decoder,
    /// Where the next slice of reading is posted, and whether one is.
    next: MessagePort,
    scheduled: bool,
    /// The next showing of the run, in a task of its own.
    show: Option<Timeout>,
    shown_at: f64,
    dispatch: UseReducerDispatcher<AppState>,
    /// The worker could not start: the page simulates in its own thread.
    failed: Rc<dyn Fn()>,
}

pub(crate) fn set(o: &Object, k: &str, v: impl Into<JsValue>) {
    let _ = Reflect::set(o, &JsValue::from_str(k), &v.into());
}

pub(crate) fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

/// The page's JS glue, as trunk names it (hashed) in index.html.
fn glue_url() -> Option<String> {
    let document = gloo::utils::document();
    let link = document.query_selector("link[rel=modulepreload]").ok()??;
    let href = link.get_attribute("href")?;
    let base = document.base_uri().ok()??;
    web_sys::Url::new_with_base(&href, &base)
        .ok()
        .map(|u| u.href())
}

/// A worker running the page's own module (static/sim-worker.js), told to
/// load it; None where no worker can be started. Its messages are handled
/// from the next task on, so the caller sets its listeners after this.
/// `script`: its URL, the painters' with a fragment saying which.
pub fn spawn(script: &str) -> Option<Worker> {
    let glue = glue_url()?;
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options(script, &options).ok()?;
    let load = Object::new();
    set(&load, "type", "load");
    set(&load, "glue", glue);
    set(&load, "module", wasm_bindgen::module());
    worker.post_message(&load).ok()?;
    Some(worker)
}

impl Feed {
    /// The worker, loading the page's module; None where no worker can be
    /// started (the page then simulates in its own thread, as before).
    pub fn start(dispatch: UseReducerDispatcher<AppState>, failed: Rc<dyn Fn()>) -> Option<Feed> {
        let channel = MessageChannel::new().ok()?;
        let worker = spawn("./sim-worker.js")?;
        let inner = Rc::new(RefCell::new(Inner {
            run: 0,
            model: None,
            queue: VecDeque::new(),
            reading: None,
            decoder: Decoder::new(),
            next: channel.port2(),
            scheduled: false,
            show: None,
            shown_at: 0.0,
            dispatch,
            failed,
        }));
        let weak = Rc::downgrade(&inner);
        let listener = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(inner) = weak.upgrade() {
                received(&inner, &e.data());
            }
        });
        worker.set_onmessage(Some(listener.as_ref().unchecked_ref()));
        let weak = Rc::downgrade(&inner);
        let reader = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                read_task(&inner);
            }
        });
        channel
            .port1()
            .set_onmessage(Some(reader.as_ref().unchecked_ref()));
        // The script itself failed (not found, not parsed): simulate here.
        let weak = Rc::downgrade(&inner);
        let error = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                let failed = inner.borrow().failed.clone();
                failed();
            }
        });
        worker.set_onerror(Some(error.as_ref().unchecked_ref()));
        Some(Feed {
            worker,
            inner,
            _listener: listener,
            _error: error,
            _reader: reader,
        })
    }

    /// Simulate `model`'s run in the worker (replacing any other), or stop.
    pub fn run(&self, model: Option<&Model>) {
        let mut i = self.inner.borrow_mut();
        i.run = model.map_or(0, |m| m.id);
        i.model = model.cloned();
        i.queue.clear();
        i.reading = None;
        i.decoder = Decoder::new();
        i.scheduled = false;
        i.show = None;
        // A run the page has only started (its first render's, state.rs:
        // FIRST_SLICE_MS) is shown grown with the worker's first batch.
        i.shown_at = match model.is_some_and(|m| m.ready == 0) {
            true => f64::NEG_INFINITY,
            false => crate::playback::wall_ms(),
        };
        let msg = Object::new();
        match model {
            Some(m) => {
                set(&msg, "type", "run");
                set(&msg, "id", m.id as f64);
                set(&msg, "text", m.text.as_str());
                // Another text may run what the lazy module has (state.rs,
                // `held`): the worker loads it first.
                if m.text.as_str() != crate::builtins::FIRST.1 {
                    set(&msg, "lazy", true);
                }
            }
            None => set(&msg, "type", "stop"),
        }
        drop(i);
        if self.worker.post_message(&msg).is_err() {
            (self.inner.borrow().failed)();
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// A message from the worker.
fn received(inner: &Rc<RefCell<Inner>>, data: &JsValue) {
    let kind = get(data, "type").as_string().unwrap_or_default();
    let id = get(data, "id").as_f64().unwrap_or(-1.0);
    let mut i = inner.borrow_mut();
    match kind.as_str() {
        "batch" if id == i.run as f64 => {
            // Copied into the wasm when read, in a task of its own.
            i.queue
                .push_back(get(data, "bytes").unchecked_into::<Uint8Array>());
            if !i.scheduled {
                drop(i);
                read_on(inner);
            }
        }
        // Its module did not load, or the text did not parse there.
        "failed" => {
            web_sys::console::warn_1(&get(data, "text"));
            let failed = i.failed.clone();
            drop(i);
            failed();
        }
        "panic" if id == i.run as f64 => {
            i.run = 0;
            drop(i);
            let text = get(data, "text").as_string().unwrap_or_default();
            crate::panic_panel::report(&format!("monscope's simulation worker crashed: {text}"));
        }
        _ => {}
    }
}

/// Read the batches received, READ_MS at a time, each slice a task of its
/// own: posted to a MessageChannel, which runs it as soon as the page is
/// idle (a chain of timeouts waits at least 4 ms between two).
fn read_on(inner: &Rc<RefCell<Inner>>) {
    let mut i = inner.borrow_mut();
    i.scheduled = true;
    if i.next.post_message(&JsValue::NULL).is_err() {
        i.scheduled = false;
    }
}

/// One slice of reading (the channel's message).
fn read_task(inner: &Rc<RefCell<Inner>>) {
    let (more, show) = read_slice(&mut inner.borrow_mut());
    // Shown in a task of its own: a render of the page is a task's worth.
    // A newer model replaces one not shown yet.
    if let Some((dispatch, model)) = show {
        let task = Timeout::new(0, move || dispatch.dispatch(Msg::Grown(Rc::new(model))));
        inner.borrow_mut().show = Some(task);
    }
    if more {
        read_on(inner);
    } else {
        inner.borrow_mut().scheduled = false;
    }
}

/// Decode and fold for READ_MS; whether there is more to read, and the
/// model to show if it is time.
fn read_slice(i: &mut Inner) -> (bool, Option<(UseReducerDispatcher<AppState>, Model)>) {
    let started = crate::playback::wall_ms();
    let Some(mut model) = i.model.take() else {
        return (false, None);
    };
    while crate::playback::wall_ms() - started < READ_MS && !model.done() {
        let (batch, at) = match &mut i.reading {
            Some(r) => r,
            None => match i.queue.pop_front() {
                Some(b) => i.reading.insert((b.to_vec().into(), EVENTS_AT)),
                None => break,
            },
        };
        // The page keeps the batch as it came (src/packed.rs), a chunk
        // decoded again when a view reads its events.
        let (events, source) = match read_chunk(batch, at, &mut i.decoder) {
            Ok(read) => read,
            Err(e) => {
                i.run = 0;
                crate::panic_panel::report(&format!(
                    "monscope could not read what its simulation worker sent: {e}"
                ));
                return (false, None);
            }
        };
        let whole = *at >= batch.len();
        let batch_head = if whole { head(batch) } else { None };
        if whole {
            i.reading = None;
        }
        model = model.feed(
            events,
            Some(source),
            batch_head.map(|h| h.1),
            batch_head.is_some_and(|h| h.0),
        );
    }
    let now = crate::playback::wall_ms();
    let done = model.done();
    let show = (done || now - i.shown_at >= PUBLISH_MS).then(|| {
        i.shown_at = now;
        (i.dispatch.clone(), model.clone())
    });
    let more = !done && (i.reading.is_some() || !i.queue.is_empty());
    i.model = Some(model);
    (more, show)
}

/// A canvas painted by a worker of its own running the page's module
/// (static/sim-worker.js) on an `OffscreenCanvas`: the canvas hands the
/// worker its control once, each drawing is then a message saying what to
/// draw, and the worker writes the pixels, puts them on the canvas and
/// commits them itself: the page's thread neither paints nor copies them
/// (at 2,000 dots in flight, a third of its CPU a frame). One drawing is asked for
/// at a time, and of those asked meanwhile only the last (the rest are out
/// of date). Where no worker starts, its module does not load, or a canvas
/// cannot hand its control over, [`Painter::ask`] says no and the caller
/// paints in its own thread, as it did before.
pub struct Painter {
    /// Its script, until its worker is started.
    script: Option<&'static str>,
    worker: Option<Worker>,
    _listeners: Vec<Closure<dyn FnMut(MessageEvent)>>,
    /// Its module is loaded: canvases are handed over from then on (a
    /// canvas painted in the page's thread cannot be).
    ready: bool,
    /// Paint in the page's thread from now on.
    here: bool,
    busy: bool,
    /// The drawing to ask for when the worker is free: on what, and its
    /// arrays' buffers (moved to the worker, not copied).
    next: Option<(HtmlCanvasElement, Object, js_sys::Array)>,
    /// The canvas whose control the worker has.
    given: Option<HtmlCanvasElement>,
    /// Called once if the worker fails: what was asked is painted here.
    failed: Rc<dyn Fn()>,
}

impl Painter {
    /// A painter of `script` (sim-worker.js with a fragment naming it)
    /// whose worker is not started yet: each instantiates the page's module,
    /// CPU a page that never draws so many dots or arrows does not spend at
    /// its start ([`Painter::warm`] starts it). `failed` is called if it
    /// cannot start or load, after drawings were asked for (the caller
    /// paints them).
    pub fn new(script: &'static str, failed: Rc<dyn Fn()>) -> Rc<RefCell<Painter>> {
        Rc::new(RefCell::new(Painter {
            script: Some(script),
            worker: None,
            _listeners: Vec::new(),
            ready: false,
            here: false,
            busy: false,
            next: None,
            given: None,
            failed,
        }))
    }

    /// Starts the worker loading the page's module, if it has not: called
    /// when its canvas is near (a first drawing waits for the module).
    pub fn warm(painter: &Rc<RefCell<Painter>>) {
        let mut p = painter.borrow_mut();
        let Some(script) = p.script.take() else {
            return;
        };
        p.worker = spawn(script);
        let Some(worker) = p.worker.clone() else {
            // Painted here: the painters are in the lazy module (src/lazy.rs).
            p.here = true;
            crate::lazy::preload();
            return;
        };
        let weak = Rc::downgrade(painter);
        // (Its error events too: `data` undefined.)
        let message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(painter) = weak.upgrade() else {
                return;
            };
            let data = get(&e, "data");
            let kind = get(&data, "type").as_string().unwrap_or_default();
            let mut p = painter.borrow_mut();
            match kind.as_str() {
                "ready" => p.ready = true,
                // Its script or module did not load (an error event has no data).
                "failed" | "" => {
                    crate::lazy::preload();
                    let failed = (!p.here).then(|| p.failed.clone());
                    (p.here, p.busy, p.next) = (true, false, None);
                    drop(p);
                    if let Some(failed) = failed {
                        failed();
                    }
                    return;
                }
                _ => p.busy = false,
            }
            if let Some((canvas, msg, moved)) = p.next.take() {
                p.post(&canvas, &msg, &moved);
                // The canvas would not hand its control over: paint it here.
                if p.here {
                    let failed = p.failed.clone();
                    drop(p);
                    failed();
                }
            }
        });
        worker.set_onmessage(Some(message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(message.as_ref().unchecked_ref()));
        p._listeners.push(message);
    }

    /// Asks for `msg` (its `type` one of the worker's drawings) to be
    /// painted on `canvas`, the buffers `moved` moved with it, the worker
    /// started if it is not; false if the caller is to paint it.
    pub fn ask(
        painter: &Rc<RefCell<Painter>>,
        canvas: &HtmlCanvasElement,
        msg: Object,
        moved: js_sys::Array,
    ) -> bool {
        Painter::warm(painter);
        let mut p = painter.borrow_mut();
        if p.here {
            return false;
        }
        if !p.ready || p.busy {
            p.next = Some((canvas.clone(), msg, moved));
            return true;
        }
        p.post(canvas, &msg, &moved);
        !p.here
    }

    /// `msg` posted, `canvas` handed over first if it is not yet.
    fn post(&mut self, canvas: &HtmlCanvasElement, msg: &Object, moved: &js_sys::Array) {
        let Some(worker) = self.worker.clone() else {
            return;
        };
        if self.given.as_ref() != Some(canvas) {
            // Not in web-sys's features here: called by name.
            let offscreen = Reflect::get(canvas, &JsValue::from_str("transferControlToOffscreen"))
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                .and_then(|f| f.call0(canvas).ok());
            let Some(offscreen) = offscreen else {
                self.here = true;
                return;
            };
            let hand = Object::new();
            set(&hand, "type", "canvas");
            set(&hand, "canvas", &offscreen);
            if worker
                .post_message_with_transfer(&hand, &js_sys::Array::of1(&offscreen))
                .is_err()
            {
                self.here = true;
                return;
            }
            self.given = Some(canvas.clone());
        }
        self.busy = worker.post_message_with_transfer(msg, moved).is_ok();
    }
}
