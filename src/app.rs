//! The app shell: owns the state (a reducer), the animation loop and the
//! keyboard, derives the view at the playhead and lays out the panels.

use crate::builtins::{self, FIRST};
use crate::components::{
    actions::{self, Actions},
    cluster, controls, details, event_log,
    header::{self, ShareState},
    help, inspector, scenario,
    timeline::Timeline,
    Keep,
};
use crate::components::{embed::Embed, error_panel, message_canvas, tour};
use crate::components::{my_scenarios, storage_notice};
use crate::effect::{self, use_effect_on};
use crate::embed::EmbedParams;
use crate::imported;
use crate::inspect::{self, MonDetail};
use crate::playback::{self, Cursor, MarkKind};
use crate::share::{self, LinkProblem};
use crate::state::{AppState, Msg};
use crate::store::persist::{Entry, Storage, StorageView};
use crate::store::session::Session;
use gloo::events::EventListener;
use gloo::render::{request_animation_frame, AnimationFrame};
use monscope_core::mon::status::MonStatus;
use monscope_core::trace::format::describe;
use monscope_core::trace::{EventKind, NodeId};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

impl Reducible for AppState {
    type Action = Msg;
    fn reduce(self: Rc<Self>, msg: Msg) -> Rc<Self> {
        Rc::new(Rc::unwrap_or_clone(self).reduce(msg))
    }
}

/// What the views show at the playhead.
#[derive(Clone, PartialEq)]
pub struct Frame {
    pub statuses: Vec<MonStatus>,
    /// Cut links (from, to).
    pub cuts: Vec<(NodeId, NodeId)>,
    /// Which monitors are in the cluster (not yet added or removed: false).
    pub present: Vec<bool>,
}

fn query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

pub(crate) fn hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// `?scenario=STEM` or a share link's `#s1=...` picks what is shown first;
/// an embed's `t` moves the playhead.
/// The history the Import page left in this origin's localStorage
/// (static/import.js) for `#imported`, read by the Import page's module in a
/// worker (imported.rs says why), before the app starts. Only `#imported`
/// runs it: it is in the lazy module (src/lazy.rs), called once that is in.
#[inline(never)]
fn imported_model() -> std::pin::Pin<Box<dyn std::future::Future<Output = ImportedModel>>> {
    Box::pin(read_imported())
}

type ImportedModel = Result<playback::Model, String>;

async fn read_imported() -> ImportedModel {
    let store = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .ok_or("this browser keeps no local storage")?;
    let get = |k| store.get_item(k).ok().flatten();
    let trace = get(imported::TRACE_KEY)
        .ok_or("none is stored here: import them on the Import page, then open them")?;
    let ask = crate::trace_export::message("read", &[("json", trace.into())]);
    let answer = crate::trace_export::ask(ask, Vec::new()).await?;
    let imp = crate::handover::from_text(&answer)
        .and_then(|bytes| imported::decode(&bytes))
        .ok_or("the Import page's module answered something else")?;
    playback::Model::imported(imp, &get(imported::SCENARIO_KEY).unwrap_or_default())
}

/// What the address asks for that is fetched or read before the app starts.
enum First {
    /// A built-in other than the first (builtins.rs).
    Builtin(Result<String, String>),
    /// `#imported`.
    Imported(Result<playback::Model, String>),
}

fn initial_state(
    embed: Option<&EmbedParams>,
    first: Option<&First>,
) -> (AppState, Option<LinkProblem>) {
    let (s, problem) = linked_or_builtin(first);
    match embed.and_then(|e| e.t) {
        Some(t) => {
            let mut s = s.reduce(Msg::Seek(t));
            s.reach_pending();
            (s, problem)
        }
        None => (s, problem),
    }
}

/// The built-in scenario a `?scenario=STEM` asks for, unless a link or
/// imported logs in the address take precedence.
fn asked_builtin() -> Option<String> {
    let h = hash();
    if h == imported::HASH || share::is_link(&h) {
        return None;
    }
    let q = query();
    q.trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("scenario="))
        .map(str::to_string)
}

/// `fetched`: what the address asks for, fetched or read before the app
/// started: `#imported`'s history, or a built-in other than the first.
fn linked_or_builtin(fetched: Option<&First>) -> (AppState, Option<LinkProblem>) {
    let first = || AppState::new(FIRST.1, Some(FIRST.0));
    let h = hash();
    if h == imported::HASH {
        let read = match fetched {
            Some(First::Imported(read)) => read.clone(),
            _ => Err("they were not read".to_string()),
        };
        return match read {
            Ok(m) => (
                AppState::new(FIRST.1, None).reduce(Msg::Imported(Rc::new(m))),
                None,
            ),
            Err(message) => (
                first(),
                Some(LinkProblem {
                    message: format!("The imported logs could not be opened: {message}"),
                    decoded: None,
                }),
            ),
        };
    }
    if share::is_link(&h) {
        return match share::open(&h) {
            Ok(d) => {
                let s = AppState::new(FIRST.1, None);
                (s.reduce(Msg::LoadText(d.text, d.t, d.sel)), None)
            }
            Err(p) => (first(), Some(p)),
        };
    }
    let asked = asked_builtin();
    let index = asked.as_deref().and_then(builtins::index);
    let fetched = match fetched {
        Some(First::Builtin(text)) => Some(text),
        _ => None,
    };
    match (asked, index, fetched) {
        (Some(stem), None, _) => (
            first(),
            Some(share::LinkProblem {
                message: share::unknown_builtin(
                    &js_sys::decode_uri_component(&stem)
                        .map_or_else(|_| stem.clone(), String::from),
                ),
                decoded: None,
            }),
        ),
        (_, Some(i), Some(Ok(text))) => (AppState::new(text, builtins::stem(i)), None),
        (_, _, Some(Err(message))) => (
            first(),
            Some(LinkProblem {
                message: message.clone(),
                decoded: None,
            }),
        ),
        _ => (first(), None),
    }
}

/// The browser's localStorage, for two small remembered choices (a first
/// visit, the theme); IndexedDB (src/store/) keeps everything else.
pub fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// A plain visit (no link, no `?scenario=`) by someone who has not been
/// here before; remembered from now on.
fn first_visit() -> bool {
    const KEY: &str = "monscope-visited";
    if share::is_link(&hash()) || query().contains("scenario=") {
        return false;
    }
    let Some(ls) = local() else { return false };
    let first = ls.get_item(KEY).ok().flatten().is_none();
    let _ = ls.set_item(KEY, "1");
    first
}

fn reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches())
}

/// Whether the key goes to a field the focus is in (text, a list), not to
/// the page's shortcuts. Buttons, checkboxes and the scrubber take none.
fn typing(e: &web_sys::KeyboardEvent) -> bool {
    let Some(el) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    match el.tag_name().as_str() {
        "TEXTAREA" | "SELECT" => true,
        // The long scenario text's view: its keys scroll, select and copy it.
        "DIV" => el.class_name().starts_with("lines"),
        "INPUT" => !matches!(
            el.get_attribute("type").as_deref(),
            Some("checkbox" | "radio" | "range" | "button")
        ),
        _ => false,
    }
}

/// Keys that act on the app, wherever the focus is, unless it is in a text
/// field. They never also activate the focused button or control.
fn on_key(e: &web_sys::KeyboardEvent, s: &AppState, dispatch: &UseReducerDispatcher<AppState>) {
    if typing(e) || e.alt_key() || e.meta_key() {
        return;
    }
    let key = e.key();
    if e.ctrl_key() {
        if key == "z" {
            e.prevent_default();
            dispatch.dispatch(Msg::Undo);
        }
        return;
    }
    let mon = s.selected_name();
    let act = |a: String| dispatch.dispatch(Msg::Apply(a));
    let msg = match key.as_str() {
        " " => Some(Msg::TogglePlay),
        "ArrowRight" => Some(Msg::StepNext),
        "ArrowLeft" => Some(Msg::StepPrev),
        "?" => Some(Msg::Help(!s.help)),
        "Escape" if s.help => Some(Msg::Help(false)),
        "Escape" => Some(Msg::SelectEvent(None)),
        "u" => Some(Msg::Undo),
        "+" | "=" => Some(Msg::Zoom(0.5)),
        "-" => Some(Msg::Zoom(2.0)),
        "h" => {
            act("heal".into());
            None
        }
        "k" | "r" | "w" | "i" | "e" => {
            if let Some(m) = mon {
                act(match key.as_str() {
                    "k" => format!("kill {m}"),
                    "r" => format!("revive {m}"),
                    "w" => format!("wipe {m}"),
                    "i" => format!("isolate {m}"),
                    _ => format!("call-election {m}"),
                });
            }
            None
        }
        d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() && d != "0" => {
            let n = (d.as_bytes()[0] - b'1') as usize;
            let count = s.model.as_ref().map_or(0, |m| m.mon_count());
            (n < count).then_some(Msg::SelectMon(Some(n as NodeId)))
        }
        _ => return,
    };
    e.prevent_default();
    if let Some(msg) = msg {
        dispatch.dispatch(msg);
    }
}

/// Runs `Msg::Frame` on every animation frame while playing.
fn animate(dispatch: UseReducerDispatcher<AppState>) -> Rc<RefCell<Option<AnimationFrame>>> {
    let handle: Rc<RefCell<Option<AnimationFrame>>> = Rc::new(RefCell::new(None));
    let last = Rc::new(Cell::new(None::<f64>));
    fn schedule(
        handle: Rc<RefCell<Option<AnimationFrame>>>,
        dispatch: UseReducerDispatcher<AppState>,
        last: Rc<Cell<Option<f64>>>,
    ) {
        let again = handle.clone();
        let frame = request_animation_frame(move |ts| {
            let dt = last.get().map_or(16.7, |l| ts - l);
            last.set(Some(ts));
            dispatch.dispatch(Msg::Frame(dt));
            schedule(again, dispatch, last);
        });
        *handle.borrow_mut() = Some(frame);
    }
    schedule(handle.clone(), dispatch, last);
    handle
}

/// Lay the page out now, not at the next frame.
fn settle_layout() {
    // A hit test, as the frame's own for the hover: it lays the page out
    // and brings its paint properties up to date (PrePaint, 0.6 ms), which
    // that one would otherwise do before the frame's first callback.
    let _ = gloo::utils::document().element_from_point(0.0, 0.0);
}

/// Wall milliseconds between two showings of a run being simulated.
pub const PUBLISH_MS: f64 = 250.0;

/// Simulate `model` on in slices, each in a task of its own, and show it
/// (`Msg::Grown`) every PUBLISH_MS and when it is done. `timer` holds the
/// next slice: dropping it stops the run (a new text).
fn simulate_on(
    model: crate::playback::Model,
    shown_at: f64,
    dispatch: UseReducerDispatcher<AppState>,
    timer: Rc<RefCell<Option<gloo::timers::callback::Timeout>>>,
) {
    let again = timer.clone();
    let slice = gloo::timers::callback::Timeout::new(0, move || {
        let next = model.advance(crate::state::SLICE_MS);
        let now = js_sys::Date::now();
        let show = next.done() || now - shown_at >= PUBLISH_MS;
        if show {
            dispatch.dispatch(Msg::Grown(Rc::new(next.clone())));
        }
        if next.simulating() {
            simulate_on(next, if show { now } else { shown_at }, dispatch, again);
        }
    });
    *timer.borrow_mut() = Some(slice);
}

/// Lines parsed between two looks at the wall clock.
const PARSE_STEP: usize = 500;

/// Parse a long edited text on in slices of SLICE_MS, each in a task of its
/// own, and hand the result over (`Msg::Parsed`). `timer` holds the next
/// slice: dropping it stops the parse (another text).
fn parse_on(
    text: Rc<String>,
    mut parser: monscope_core::scenario::Parser,
    dispatch: UseReducerDispatcher<AppState>,
    timer: Rc<RefCell<Option<gloo::timers::callback::Timeout>>>,
) {
    let again = timer.clone();
    let slice = gloo::timers::callback::Timeout::new(0, move || {
        let started = js_sys::Date::now();
        while js_sys::Date::now() - started < crate::state::SLICE_MS {
            if let Some(done) = parser.step(&text, PARSE_STEP) {
                let text = Rc::try_unwrap(text).unwrap_or_else(|t| (*t).clone());
                let done = crate::state::Parsed(Rc::new(done.map(std::sync::Arc::new)));
                dispatch.dispatch(Msg::Parsed(text, done));
                return;
            }
        }
        parse_on(text, parser, dispatch, again);
    });
    *timer.borrow_mut() = Some(slice);
}

/// The shell's callbacks to its children.
struct Handlers {
    send: Callback<Msg>,
    on_load_builtin: Callback<usize>,
    on_load_text: Callback<String>,
    on_dismiss: Callback<u64>,
    share_state: Callback<(), ShareState>,
}

impl Handlers {
    fn new(
        d: UseReducerDispatcher<AppState>,
        storage: Rc<Storage>,
        latest: Rc<RefCell<UseReducerHandle<AppState>>>,
    ) -> Handlers {
        let send = Callback::from(move |m: Msg| d.dispatch(m));
        Handlers {
            on_load_builtin: {
                // Fetched (builtins.rs); only the last one picked is shown.
                let (send, latest) = (send.clone(), Rc::new(Cell::new(0usize)));
                Callback::from(move |i: usize| {
                    let (send, latest) = (send.clone(), latest.clone());
                    let ticket = latest.get() + 1;
                    latest.set(ticket);
                    wasm_bindgen_futures::spawn_local(async move {
                        let msg = match builtins::text(i).await {
                            Ok(text) => Msg::LoadBuiltin(i, text),
                            Err(e) => Msg::Notify(e),
                        };
                        if latest.get() == ticket {
                            send.emit(msg);
                        }
                    });
                })
            },
            on_load_text: send.reform(|text| Msg::LoadText(text, None, None)),
            on_dismiss: Callback::from(move |id| storage.dismiss(id)),
            share_state: Callback::from(move |()| {
                let s = latest.borrow();
                ShareState {
                    text: (*s.text).clone(),
                    t: s.t,
                    selected: s.selected_name(),
                }
            }),
            send,
        }
    }
}

/// What the address asks for, fetched or read before the app starts (none:
/// nothing needs to be).
#[derive(Properties)]
struct AppProps {
    first: Option<Rc<First>>,
}

impl PartialEq for AppProps {
    fn eq(&self, other: &AppProps) -> bool {
        match (&self.first, &other.first) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (a, b) => a.is_none() && b.is_none(),
        }
    }
}

#[function_component(App)]
fn app(props: &AppProps) -> Html {
    // Read once, at the first render (the URL's query, a call out of wasm
    // and a string, was read at every render). (Hooks are gathered where they can
    // be: each hook of its own type is generic code of its own in the wasm.)
    let once = use_memo((), |_| {
        let query = query();
        // `?debug-panic` panics on purpose: the end-to-end tests check that a panic
        // shows the error panel instead of a blank page.
        if query.contains("debug-panic") {
            panic!("debug-panic was asked for in the URL");
        }
        let embed = EmbedParams::parse(&query).map(Rc::new);
        (embed, reduced_motion(), RefCell::new(None::<LinkProblem>))
    });
    let (embed, motion_reduced, first_problem) = (&once.0, once.1, &once.2);
    let state = use_reducer(|| {
        let (s, problem) = initial_state(embed.as_deref(), props.first.as_deref());
        *first_problem.borrow_mut() = problem;
        // The default scenario plays at once for a newcomer, unless motion is
        // reduced; the tour is offered.
        let s = s.reduce(Msg::Dark(header::dark()));
        if embed.is_none() && first_visit() {
            s.reduce(Msg::FirstVisit(!motion_reduced))
        } else {
            s
        }
    });
    let link_problem = use_state(|| first_problem.borrow_mut().take());
    let dispatch = state.dispatcher();
    // The playhead's cursor, the scenario editor, the inspector's last
    // detail, the latest state (for the callbacks made once) and my
    // scenarios' name field and file input.
    type DetailCache = ((u64, usize, NodeId), Option<Rc<MonDetail>>);
    // A render again once the lazy module is in (src/lazy.rs).
    let redraw = use_force_update();
    let (cursor, editor, detail_cache, latest, mine_refs) = (*use_memo((), |_| {
        (
            Rc::new(RefCell::new(Cursor::new())),
            NodeRef::default(),
            Rc::new(RefCell::new(None::<DetailCache>)),
            Rc::new(RefCell::new(state.clone())),
            (NodeRef::default(), NodeRef::default()),
        )
    }))
    .clone();
    // The scenario editor shows the state's text (components/scenario.rs):
    // set when that text changes and the editor does not show it already.
    {
        let editor = editor.clone();
        // An embed with a run shows no editor; one without shows the page.
        let shown = !(embed.is_some() && state.model.is_some());
        use_effect_on((state.text.clone(), shown), move |(text, _)| {
            if let Some(el) = editor.cast::<web_sys::HtmlTextAreaElement>() {
                if el.value() != **text {
                    el.set_value(text);
                }
            }
            effect::nothing()
        });
    }
    *latest.borrow_mut() = state.clone();

    // Persistence (src/store/): opened once; told what to save after each render.
    let storage_view = use_state(StorageView::default);
    // The picker shows the state's built-in, set as the select's value after
    // a change: once the reader (or a script) has picked an option, an
    // option's `selected` attribute no longer moves the selection, and a
    // stored session restored while a pick was being fetched left the first
    // built-in showing (share.test.mjs saw it once in a full e2e run;
    // store.test.mjs reproduces it).
    let picker = use_node_ref();
    {
        let picker = picker.clone();
        let want = state.stem.and_then(builtins::index);
        use_effect_on((want, storage_view.mine.len()), move |(want, _)| {
            if let Some(el) = picker.cast::<web_sys::HtmlSelectElement>() {
                match want {
                    Some(i) if el.value() != i.to_string() => el.set_value(&i.to_string()),
                    // "(your own)", the first option while no built-in is shown.
                    None if el.selected_index() != 0 => el.set_selected_index(0),
                    _ => {}
                }
            }
            effect::nothing()
        });
    }
    // Whether the simulation's Web Worker failed (sim_feed.rs; see below).
    // (`bool::default`, not a closure: one instance of the hook's code with
    // the embed's `in_view`.)
    let worker_failed = use_state(bool::default);
    // Made once: persistence, the simulation worker's feed and the
    // callbacks to the children.
    let (storage, feed, handlers) = {
        let publish = storage_view.setter();
        let failed = worker_failed.setter();
        let (d, latest) = (dispatch.clone(), latest.clone());
        (*use_memo((), move |_| {
            let now = {
                let latest = latest.clone();
                Callback::from(move |()| {
                    let s = latest.borrow();
                    (s.text_ahead(), s.viewed)
                })
            };
            let storage = Storage::new(
                Callback::from(move |v| publish.set(v)),
                Callback::from({
                    let d = d.clone();
                    move |m| d.dispatch(m)
                }),
                now,
            );
            let feed = Rc::new(crate::sim_feed::Feed::start(
                d.clone(),
                Rc::new(move || failed.set(true)),
            ));
            let handlers = Rc::new(Handlers::new(d, storage.clone(), latest));
            (storage, feed, handlers)
        }))
        .clone()
    };
    {
        // An embed is a view in someone's docs page: it neither restores nor
        // overwrites the reader's own playground session on this origin.
        let storage = storage.clone();
        let embedded = embed.is_some();
        // A link that was refused keeps the stored session: it replaces nothing.
        let refused = link_problem.is_some();
        let embed = embed.clone();
        let (dispatch, latest) = (dispatch.clone(), latest.clone());
        use_effect_on((), move |_| {
            for w in embed.iter().flat_map(|e| &e.warnings) {
                crate::embed_api::warn(w);
            }
            if !embedded {
                let linked = share::is_link(&hash())
                    || query().contains("scenario=")
                    || hash() == imported::HASH;
                storage.boot(if linked && !refused {
                    Entry::Link
                } else {
                    Entry::Stored
                });
            }
            // Keyboard.
            let opts = gloo::events::EventListenerOptions::enable_prevent_default();
            let document = gloo::utils::document();
            let down = EventListener::new_with_options(&document, "keydown", opts, move |e| {
                if let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() {
                    let s = latest.borrow().clone();
                    on_key(e, &s, &dispatch);
                }
            });
            // A focused button or checkbox acts on space's keyup: space is
            // play/pause here, so it must not click too.
            let up = EventListener::new_with_options(&document, "keyup", opts, |e| {
                if let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() {
                    if e.key() == " " && !typing(e) {
                        e.prevent_default();
                    }
                }
            });
            // A link pasted into this tab's address changes only the
            // fragment: the browser does not load the page again, so it is
            // opened as a fresh load would (the session kept aside, as
            // for any link).
            let pasted = EventListener::new(&gloo::utils::window(), "hashchange", |_| {
                let h = hash();
                if share::is_link(&h) || h == imported::HASH {
                    let _ = gloo::utils::window().location().reload();
                }
            });
            Box::new(move || drop((down, up, pasted)))
        });
    }
    {
        let storage = storage.clone();
        let s = state.clone();
        use_effect_on(effect::EveryRender, move |_| {
            // A playhead on its way to a time not simulated yet (a link's, a
            // restored session's) is saved once it is there.
            if s.pending().is_none() {
                storage.note(s.model.clone(), s.t, Session::of(&s));
            }
            effect::nothing()
        });
    }
    {
        // `#imported` stays in the address while the logs are shown (a reload
        // reads them again); once acting or editing turned the view into a
        // replay, the address no longer says what is shown. Only an app
        // started from `#imported` drops it: a fragment set after the start
        // (the page does not follow hash changes) is for the next load, and
        // a plain start's first model arriving later must not erase it.
        let replay = state.model.as_ref().is_some_and(|m| m.imported.is_none());
        let from_imported = matches!(props.first.as_deref(), Some(First::Imported(_)));
        use_effect_on(replay, move |replay| {
            if *replay && from_imported && hash() == imported::HASH {
                crate::store::persist::forget_address();
            }
            effect::nothing()
        });
    }
    {
        // A paused playhead moved (a seek): the page is laid out here, at
        // the end of the input's task, instead of at the start of the next
        // frame. That frame waits for the display's next tick when the
        // compositor is ticking (up to 16 ms), and its first work, before
        // any `requestAnimationFrame` callback, was this layout (1.7–2.9
        // ms, forced by the hover's hit test): done here, it is done while
        // the tick is awaited. While playing, the render is in the frame.
        // Not while only the run's start is shown (the first render: the
        // page's first layout is its first frame's; here, it held back the
        // ring's showing by its time).
        let paused_at = (!state.playing).then_some(state.t);
        let started = state.ready() > 0;
        use_effect_on(paused_at, move |at| {
            if at.is_some() && started {
                settle_layout();
            }
            effect::nothing()
        });
    }
    let storage_rc: Rc<Storage> = Rc::clone(&storage);

    // The animation loop, while playing.
    {
        let dispatch = dispatch.clone();
        use_effect_on(state.playing, move |playing| {
            let handle = playing.then(|| animate(dispatch));
            Box::new(move || {
                if let Some(h) = handle {
                    h.borrow_mut().take();
                }
            })
        });
    }

    // The run is simulated in a Web Worker (sim_feed.rs), ahead of the
    // playhead, and read back between frames. The page's own simulator runs
    // a slice (state.rs: SLICE_MS) at a time between frames and input where
    // no worker could start, and where a view reads the simulator itself
    // (cut links, the inspector); what it has simulated is shown every
    // PUBLISH_MS (a render of the page costs more than a slice).
    let use_worker = feed.is_some() && !*worker_failed;
    {
        let feed = feed.clone();
        let run = state.model.clone().filter(|m| !m.done() && use_worker);
        use_effect_on(run.as_ref().map(|m| m.id), move |_| {
            if let Some(f) = &*feed {
                f.run(run.as_deref());
            }
            effect::nothing()
        });
    }
    {
        let dispatch = dispatch.clone();
        let local = !use_worker
            || state.selected_mon.is_some()
            || state.model.as_ref().is_some_and(|m| m.cuts_links());
        let run = state.model.clone().filter(|m| local && m.simulating());
        use_effect_on(run.as_ref().map(|m| m.id), move |_| {
            let timer = Rc::new(RefCell::new(None));
            if let Some(m) = run {
                simulate_on((*m).clone(), 0.0, dispatch, timer.clone());
            }
            Box::new(move || drop(timer.borrow_mut().take()))
        });
    }

    // A text other than the first built-in's waits for the lazy module
    // (state.rs, `AppState::holding`): loaded, then its messages applied (a
    // failed load leaves the moved code to load itself, or to say it cannot).
    {
        let dispatch = dispatch.clone();
        use_effect_on(state.holding(), move |holding| {
            if *holding {
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = crate::lazy::load().await;
                    dispatch.dispatch(Msg::LazyIn);
                });
            }
            effect::nothing()
        });
    }

    // A long edited text is parsed in slices too (state.rs: PARSE_LINES).
    {
        let dispatch = dispatch.clone();
        use_effect_on(state.parsing().map(str::to_string), move |text| {
            let timer = Rc::new(RefCell::new(None));
            if let Some(text) = text {
                let parser = monscope_core::scenario::Parser::default();
                parse_on(Rc::new(text.clone()), parser, dispatch, timer.clone());
            }
            Box::new(move || drop(timer.borrow_mut().take()))
        });
    }

    // Callbacks made once: a child whose props are otherwise unchanged then
    // skips its render, so a frame re-renders only what moves (`handlers`,
    // made once with persistence above).
    let send = handlers.send.clone();
    let on_load_mine: Callback<String> = {
        let send = send.clone();
        (*use_memo(storage_view.mine.clone(), move |mine| {
            let mine = mine.clone();
            Callback::from(move |name: String| {
                if let Some((_, text)) = mine.iter().find(|(n, _)| *n == name) {
                    send.emit(Msg::LoadText(text.clone(), None, None));
                }
            })
        }))
        .clone()
    };

    let t = state.t;
    // `upto`: events up to the playhead; `panel_upto`: up to what the text
    // panels show (state.rs: panel_t).
    let (frame, upto, panel_upto, detail) = match &state.model {
        Some(model) => {
            // The ring comes from the trace; the simulator at the playhead
            // (a snapshot replayed) only for cut links and the inspector.
            let mut c = cursor.borrow_mut();
            let n = model.mon_count() as NodeId;
            let frame = Frame {
                statuses: (0..n)
                    .map(|i| {
                        model
                            .status_at(i, t)
                            .unwrap_or_else(|| MonStatus::down(i as _))
                    })
                    .collect(),
                cuts: if model.cuts_links() {
                    c.at(model, t).cuts()
                } else {
                    Vec::new()
                },
                present: (0..n).map(|i| model.member_at(i, t)).collect(),
            };
            let upto = model.events_upto(t);
            let panel_upto = model.events_upto(state.panel_t);
            let detail = state.selected_mon.and_then(|m| {
                let key = (model.id, panel_upto, m);
                let mut cache = detail_cache.borrow_mut();
                match &*cache {
                    Some((k, d)) if *k == key => d.clone(),
                    // The inspector's reading is in the lazy module
                    // (src/lazy.rs): drawn again once it is in.
                    _ if !crate::lazy::loaded() => {
                        let redraw = redraw.clone();
                        crate::lazy::then(move || redraw.force_update());
                        None
                    }
                    _ => {
                        let d = match model.imported {
                            // An imported history: what the monitor's log says.
                            Some(_) => model.names.get(m as usize).and_then(|name| {
                                let s = model.status_at(m, t)?;
                                Some(Rc::new(inspect::from_logs(name, &s)))
                            }),
                            None => inspect::detail(c.at(model, t), m).map(Rc::new),
                        };
                        *cache = Some((key, d.clone()));
                        d
                    }
                }
            });
            (Some(Rc::new(frame)), upto, panel_upto, detail)
        }
        None => (None, 0, 0, None),
    };

    // A selected monitor that is not in the cluster at the playhead: say why.
    let absent = state.model.as_ref().and_then(|model| {
        let m = state.selected_mon?;
        if model.member_at(m, t) {
            return None;
        }
        let name = model.names.get(m as usize)?;
        Some(match model.next_presence_change(m, t) {
            Some((at, true)) => format!(
                "mon.{name} is not in the cluster yet: it is added at {}s.",
                monscope_core::time::format_secs(at)
            ),
            _ => format!("mon.{name} was removed from the monmap and exited."),
        })
    });

    // The ARIA live region narrates the latest state change: looked for
    // again only when the text panels move on (state.rs: panel_t).
    let narration = use_memo((state.model.clone(), panel_upto), |(model, upto)| {
        let model = model.as_ref()?;
        model
            .trace()
            .range(0, *upto)
            .rev()
            .take(4000)
            .find(|e| {
                matches!(
                    e.kind,
                    EventKind::Status { .. } | EventKind::Expect { .. } | EventKind::Note { .. }
                )
            })
            .map(|e| match &e.kind {
                EventKind::Note { text } => monscope_core::trace::format::note_plain(text),
                _ => describe(&e, &model.names),
            })
    });

    // The latest `note` is the caption.
    let caption = state.model.as_ref().and_then(|model| {
        // The last stop's time first: the marks before `t` are hundreds of
        // thousands in a long run, and it may have no note at all.
        let stops = &model.stops;
        let last = stops[..stops.partition_point(|(at, _)| *at <= t)].last()?.0;
        let marks = model.marks();
        let trace = model.trace();
        marks[..marks.partition_point(|m| m.at <= last)]
            .iter()
            .rev()
            .find(|m| m.kind == MarkKind::Note)
            .and_then(|m| match &trace.get(m.ev)?.kind {
                EventKind::Note { text } => Some(text.to_string()),
                _ => None,
            })
    });

    // The text panels are drawn again only when what they show changes.
    let log = use_memo(
        state.model.clone().map(|model| event_log::Props {
            model,
            upto: panel_upto,
            selected: state.selected_event,
            timers: state.timers,
            on: send.clone(),
        }),
        |p| p.as_ref().map_or_else(Html::default, event_log::event_log),
    );
    let inspector = use_memo(
        inspector::Props {
            detail: detail.clone(),
            names: state
                .model
                .as_ref()
                .map(|m| m.names.clone())
                .unwrap_or_default(),
            selected: state.selected_mon,
            absent: absent.clone(),
            on: send.clone(),
        },
        inspector::inspector,
    );
    let my_scenarios = use_memo(
        my_scenarios::Props {
            storage: storage_rc.clone(),
            mine: storage_view.mine.clone(),
            text: state.text.clone(),
            title: state.model.as_ref().and_then(|m| m.scenario.title.clone()),
            on_load: handlers.on_load_text.clone(),
            name_ref: mine_refs.0.clone(),
            file_ref: mine_refs.1.clone(),
        },
        my_scenarios::my_scenarios,
    );
    let links = cluster::use_links(
        state.model.as_ref(),
        frame.as_ref(),
        state.selected_link,
        &send,
    );
    let messages_canvas = message_canvas::use_message_canvas(&send);

    let error_banner = (*link_problem).clone().map(|problem| {
        let on_open = {
            let (d, lp) = (dispatch.clone(), link_problem.clone());
            Callback::from(move |x: monscope_core::scenario::link::Decoded| {
                lp.set(None);
                d.dispatch(Msg::LoadText(x.text, x.t, x.sel));
            })
        };
        let lp = link_problem.clone();
        error_panel::error_panel(&error_panel::Props {
            problem,
            on_open,
            on_dismiss: Callback::from(move |_| lp.set(None)),
        })
    });

    // (Counting the lines of a long text is not a frame's work.)
    let long = *use_memo(state.text.clone(), |t| {
        crate::components::long_text::is_long(t)
    });

    if let (Some(params), Some(model), Some(frame)) = (embed, &state.model, &frame) {
        return html! {
            <>
                <div class="float">{ error_banner }</div>
                <Embed
                    params={params.clone()}
                    model={model.clone()}
                    frame={frame.clone()}
                    t={t}
                    playing={state.playing}
                    speed={state.speed}
                    caption={caption}
                    reduced_motion={motion_reduced}
                    hidden={state.hidden}
                    on={send.clone()}
                />
            </>
        };
    }

    // Notices live in one place, above the ring, in the page's flow: the
    // ring makes room for them and is never covered.
    let notices = html! {
        <div class="notices" data-testid="notices" aria-live="polite">
            { error_banner }
            // A runaway run: what its budget stopped (the run is shown up to there).
            if let Some(why) = state.model.as_ref().and_then(|m| m.overrun.clone()) {
                <div class="notice error" role="status" data-testid="run-stopped">
                    <span>{ format!("The run {why}. It is shown up to there.") }</span>
                </div>
            }
            if let Some(notice) = &state.notice {
                <div class="notice error" role="alert" data-testid="action-error">
                    <span>{ notice.clone() }</span>
                    <button class="link-button" onclick={crate::components::click(&send, Msg::DismissNotice)} aria-label="dismiss">{ "✕" }</button>
                </div>
            }
            { storage_notice::notices(&storage_view, &handlers.on_dismiss, &send) }
        </div>
    };
    // The selected event's details: in the side panel, or (clicked) in a
    // card next to where it was clicked (`.popover`, positioned on the page).
    // It is drawn by the lazy module (src/lazy.rs): again once it is in.
    let details = match (&state.model, state.selected_event) {
        (Some(model), Some(ev)) if crate::lazy::loaded() => details::details(&details::Props {
            model: model.clone(),
            ev,
            anchor: state.anchor,
            on: send.clone(),
        }),
        (Some(_), Some(_)) => {
            let redraw = redraw.clone();
            crate::lazy::then(move || redraw.force_update());
            html! {}
        }
        _ => html! {},
    };

    // The help dialog (`?`): drawn by the lazy module, with its words, once
    // it is in (again then, as the details).
    let help = match state.help {
        true if crate::lazy::loaded() => help::help(&help::Props { on: send.clone() }),
        true => {
            let redraw = redraw.clone();
            crate::lazy::then(move || redraw.force_update());
            html! {}
        }
        false => html! {},
    };

    html! {
        <div class={classes!("app", motion_reduced.then_some("reduced-motion"))}>
            { header::header(&header::Props {
                stem: state.stem,
                title: state.model.as_ref().and_then(|m| m.scenario.title.as_deref()),
                now: &handlers.share_state,
                on_load: &handlers.on_load_builtin,
                picker: &picker,
                mine: &storage_view.mine,
                on_load_mine: &on_load_mine,
                shared: state.shared.as_ref(),
                dark: state.dark,
                on: &send,
            }) }
            <div class="left">
            <main class="stage">
                // The first screen: the ring and what drives it.
                <section class="cluster-panel" aria-label="cluster">
                    { notices }
                    if let Some(label) = state.model.as_ref().and_then(|m| m.imported.clone()) {
                        <p class="notice info" data-testid="imported-banner">
                            <strong>{ (*label).clone() }</strong>
                            { " — the ring, timeline and inspector show what the logs say. Editing the scenario or acting on a monitor replays the inferred scenario in the simulator instead." }
                        </p>
                    }
                    if let Some(model) = &state.model {
                        { tour::tour(&tour::Props {
                            model,
                            t,
                            playing: state.playing,
                            caption: caption.as_deref(),
                            text: &state.text,
                            tour: state.tour.as_ref().map(|t| t.as_str()),
                            left: state.tour_left.is_some(),
                            offer: state.offer_tour,
                            on: &send,
                        }) }
                    }
                    if let (Some(model), Some(frame)) = (&state.model, &frame) {
                        { cluster::cluster_view(&cluster::Props {
                            model: model.clone(),
                            frame: frame.clone(),
                            t,
                            speed: state.speed,
                            selected_mon: state.selected_mon,
                            selected_event: state.selected_event,
                            reduced_motion: motion_reduced,
                            hidden: state.hidden,
                            // An invitation to start, not a lid: once the reader has
                            // moved through a run, its labels are what they paused for.
                            overlay: !state.playing && (t == 0 || !state.viewed),
                            links: links.clone(),
                            canvas: messages_canvas.clone(),
                            on_select: send.clone(),
                        }) }
                    } else {
                        <p class="empty">{ "The scenario does not parse yet: fix it in the editor." }</p>
                    }
                    { controls::controls(&controls::Props {
                        t,
                        end: state.end(),
                        ready: state.ready(),
                        playing: state.playing,
                        speed: state.speed,
                        skip_quiet: state.skip_quiet,
                        on: send.clone(),
                    }) }
                    if let (Some(model), Some(frame)) = (&state.model, &frame) {
                        <Actions
                            model={model.clone()}
                            selected_mon={actions::selected(state.selected_mon, frame)}
                            selected_link={None}
                            can_undo={!state.undo.is_empty()}
                            mon_row={true}
                            on={send.clone()}
                        />
                    }
                </section>
                if let Some(model) = &state.model {
                    <section class="panel actions-panel" aria-label="break things">
                        <Actions
                            model={model.clone()}
                            selected_mon={None}
                            selected_link={state.selected_link}
                            can_undo={!state.undo.is_empty()}
                            on={send.clone()}
                        />
                    </section>
                }
                <section class="timeline-panel" aria-label="timeline">
                    if let Some(model) = &state.model {
                        <Timeline
                            model={model.clone()}
                            t={t}
                            win_start={state.win_start}
                            win_span={state.win_span}
                            follow={state.follow}
                            selected_event={state.selected_event}
                            selected_mon={state.selected_mon}
                            hidden={state.hidden}
                            on={send.clone()}
                        />
                    }
                </section>
            </main>
            <footer class="bottom">
                <Keep html={log.clone()} />
                <div class="sr-only" aria-live="polite" data-testid="narration">
                    { (*narration).clone().unwrap_or_default() }
                </div>
            </footer>
            </div>
            <aside class="side">
                <Keep html={inspector.clone()} />
                { details }
                { scenario::scenario_panel(&scenario::Props {
                    editor: editor.clone(),
                    long: long.then(|| state.text.clone()),
                    error: state.error.clone(),
                    model: state.model.clone(),
                    checked: state.model.as_ref().map_or(0, |m| m.expects().partition_point(|&i| i < upto)),
                    on: send.clone(),
                }) }
                <Keep html={my_scenarios.clone()} />
                { storage_notice::disk(&storage_view, (state.model.as_ref().map_or(0, |m| m.id), state.t)) }
            </aside>
            if state.help {
                { help }
            }
        </div>
    }
}

pub fn start() {
    let document = gloo::utils::document();
    let root = document
        .get_element_by_id("app")
        .expect("www/index.html has a <div id=\"app\">");
    // Colours before the first paint, so that a dark page never flashes light.
    let embed = EmbedParams::parse(&query());
    let embedded = embed.is_some();
    crate::components::header::apply_theme(embedded, embed.and_then(|e| e.theme));
    let render = move |root: web_sys::Element, first: Option<First>| {
        let first = first.map(Rc::new);
        let start = move || {
            root.set_text_content(None); // drop the "loading" text
            yew::Renderer::<App>::with_root_and_props(root, AppProps { first }).render();
        };
        // An embed's view is in the lazy module (src/lazy.rs): loaded
        // first (a failed load leaves it to the first call); so is a
        // link's, whose text is not the first built-in's (state.rs, `held`).
        if embedded || share::is_link(&hash()) {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = crate::lazy::load().await;
                start();
            });
        } else {
            start();
        }
    };
    // A built-in other than the first is fetched first (builtins.rs), and
    // imported logs are read first (imported.rs).
    if hash() == imported::HASH {
        return wasm_bindgen_futures::spawn_local(async move {
            let _ = crate::lazy::load().await;
            render(root, Some(First::Imported(imported_model().await)));
        });
    }
    // ... and the lazy module with it: no text but the first built-in's
    // runs before it is in (state.rs, `held`).
    match asked_builtin().as_deref().and_then(builtins::index) {
        Some(i) if i > 0 => wasm_bindgen_futures::spawn_local(async move {
            crate::lazy::preload();
            let text = builtins::text(i).await;
            let _ = crate::lazy::load().await;
            render(root, Some(First::Builtin(text)));
        }),
        _ => render(root, None),
    }
}
