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
use web_sys::{MessageChannel, MessageEvent, MessagePort, Worker, WorkerOptions, WorkerType};
use yew::UseReducerDispatcher;

/// Wall milliseconds of reading per task: shorter than the page's own
/// simulation slices (state.rs: SLICE_MS), since the main thread has
/// nothing else to do while the worker simulates, and a task of 20 ms
/// stretched past 50 ms on a loaded machine.
const READ_MS: f64 = 8.0;

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
pub fn spawn() -> Option<Worker> {
    let glue = glue_url()?;
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    let worker = Worker::new_with_options("./sim-worker.js", &options).ok()?;
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
        let worker = spawn()?;
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
        i.shown_at = crate::playback::wall_ms();
        let msg = Object::new();
        match model {
            Some(m) => {
                set(&msg, "type", "run");
                set(&msg, "id", m.id as f64);
                set(&msg, "text", m.text.as_str());
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
