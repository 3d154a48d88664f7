//! The app's state and its reducer. The scenario text is the source of truth:
//! editing it or acting on the cluster (which appends a scenario line) rebuilds
//! the [`Model`]; the playhead `t` selects what the views show. Pure, so the
//! reducer is tested natively.

use crate::edit;
use crate::playback::{Model, HIDDEN_BY_DEFAULT};
use monscope_core::scenario::{self, ParseError, Scenario};
use monscope_core::time::{Time, MS, SEC};
use monscope_core::trace::NodeId;
use std::rc::Rc;
use std::sync::Arc;

/// Playback speeds offered: simulated seconds per real second, the value
/// as the speed list's option writes it (`fixed::shortest` of it, written
/// here: worked out at every render it was a tenth of a frame's render),
/// and its label.
pub const SPEEDS: &[(f64, &str, &str)] = &[
    (0.001, "0.001", "1/1000×"),
    (0.005, "0.005", "1/200×"),
    (0.01, "0.01", "1/100×"),
    (0.02, "0.02", "1/50×"),
    (0.05, "0.05", "1/20×"),
    (0.1, "0.1", "1/10×"),
    (0.25, "0.25", "1/4×"),
    (0.5, "0.5", "1/2×"),
    (1.0, "1", "1×"),
    (2.0, "2", "2×"),
    (5.0, "5", "5×"),
    (10.0, "10", "10×"),
];
/// 1/20 of real time: a 5 ms message flies for a tenth of a second, and
/// for half a second with [`MIN_FLIGHT_MS`].
pub const DEFAULT_SPEED: f64 = 0.05;
/// At the default speed every message a reader follows stays on screen at
/// least this long (real milliseconds); proportionally less when faster.
pub const MIN_FLIGHT_MS: f64 = 500.0;
/// While only quiet traffic is in the air (pings, lease renewals, time
/// checks), time runs at least this fast, to the next message that is not.
pub const QUIET_SPEED: f64 = 4.0;
/// A tour's Next reaches its note within this much real time, slowing
/// before it.
pub const TRAVEL_MS: f64 = 3000.0;
/// How often, in real milliseconds, the text panels follow a playing playhead.
pub const PANEL_EVERY_MS: f64 = 200.0;
/// The timeline's initial window.
pub const DEFAULT_SPAN: Time = SEC / 2;
/// A link's or an embed's time is reached before the page is first shown
/// if the run gets there within this many wall milliseconds; later ones are
/// reached as the run is simulated.
pub const REACH_MS: f64 = 1000.0;
/// Wall milliseconds of simulation per slice: the page simulates ahead of
/// the playhead between frames in slices this long, so it never blocks
/// (natively, in the unit tests, a run is simulated whole at once).
/// 20 ms: a browser waits at least 4 ms between chained timeouts, so
/// shorter slices leave the thread idle for a good part of the run; a
/// slice and a render stay under the 50 ms of a long task.
pub const SLICE_MS: f64 = if cfg!(test) { f64::INFINITY } else { 20.0 };
/// The page's first render simulates only the run's start (the events at 0,
/// what its first frame shows): the rest is the worker's (sim_feed.rs shows
/// its first batch at once), or the page's own next slices where none runs.
/// A 20 ms slice there, with encoding its events and decoding them again
/// for the ring, was a third of the start's long task (docs/performance.md,
/// `seek15`).
const FIRST_SLICE_MS: f64 = if cfg!(test) { f64::INFINITY } else { 0.0 };
/// An edited text of more lines than this is parsed in slices between
/// frames (app.rs), not in the input's task: a one-hour scenario's 36,000
/// lines take 30-70 ms to parse in the page.
pub const PARSE_LINES: usize = 2000;

#[derive(Clone, PartialEq)]
pub struct AppState {
    /// The editor's text (may not parse). Shared: the state is cloned at
    /// every message, and a long scenario's text is a megabyte.
    pub text: Rc<String>,
    /// The run of the last text that parsed.
    pub model: Option<Rc<Model>>,
    /// Why `text` does not parse.
    pub error: Option<ParseError>,
    /// `text` is being parsed in slices (PARSE_LINES): `model` and `error`
    /// are the last text's until it is.
    parsing: bool,
    /// Why the last action could not be applied.
    pub notice: Option<String>,
    /// Previous texts, for undo.
    pub undo: Vec<Rc<String>>,
    /// Which built-in scenario was loaded last.
    pub stem: Option<&'static str>,
    pub t: Time,
    pub playing: bool,
    pub speed: f64,
    pub skip_quiet: bool,
    pub selected_mon: Option<NodeId>,
    pub selected_event: Option<usize>,
    pub selected_link: Option<(NodeId, NodeId)>,
    pub help: bool,
    /// Timeline window: start and span.
    pub win_start: Time,
    pub win_span: Time,
    /// The timeline pages along with the playhead.
    pub follow: bool,
    /// The window is the run's story window ([`AppState::story_window`]):
    /// it follows the story as the run grows until the reader moves it. An
    /// edit's run keeps the reader's window, even one of the same span as
    /// the new run's story so far (the whole run, before a worker's first
    /// batch has told it: the 15-monitor e2e test's window once followed
    /// its edit's story that way).
    story: bool,
    /// Where the playhead was sent beyond what has been simulated (a link's
    /// or a stored session's time): it goes there once the run gets there.
    pending: Option<Time>,
    /// Playing pauses here (a tour's next note, an embed's `until`).
    pub stop_at: Option<Time>,
    /// The playhead the text panels (event log, inspector, narration) show.
    /// While playing it catches up with `t` every PANEL_EVERY_MS of real
    /// time: text changing 60 times a second is unreadable and costs frames.
    pub panel_t: Time,
    /// Real milliseconds since `panel_t` last caught up.
    panel_wait: f64,
    /// Protocols hidden in the views (bits of `playback::protocol_bit`).
    pub hidden: u8,
    /// A tour travelling to its next note: (from, real ms travelled).
    travel: Option<(Time, f64)>,
    /// Where the selected event was clicked (page pixels): its details show there.
    pub anchor: Option<(i32, i32)>,
    /// The first visit: the tour is offered.
    pub offer_tour: bool,
    /// The tour, while it is on: its script (the text when it started).
    pub tour: Option<Rc<String>>,
    /// Where the reader left the tour: the step's time and the script.
    pub tour_left: Option<(Time, Rc<String>)>,
    /// The link or embed code last copied (true: embed code), shown in the header.
    pub shared: Option<(bool, String)>,
    /// The page is in its dark theme.
    pub dark: bool,
    /// The event log lists timers too.
    pub timers: bool,
    /// The reader moved the view (played, sought, selected, zoomed...) since
    /// the page started: the stored session, read back later, must not undo
    /// that (src/store/persist.rs).
    pub viewed: bool,
    /// The page's lazy module is in (src/lazy.rs): any text may be run.
    /// Until then only the first built-in's is: the core's paths its run
    /// never reaches are in that module (tests/e2e/split-lazy.mjs, `RARE`),
    /// so another scenario opened waits in `held`, with every message
    /// after it, and an edit of the text shown in `waiting`, until
    /// `Msg::LazyIn` (app.rs loads it then).
    lazy_in: bool,
    held: Held,
    /// An edit of the scenario (typed, an action, undo) waiting for the lazy
    /// module: its text is shown at once, its run (the last run stays
    /// until then) once the module is in.
    waiting: Option<Waiting>,
}

/// A parsed text, its run waiting for the lazy module, and the slice to
/// simulate at once then. Compared by the text's identity.
#[derive(Clone)]
struct Waiting(Rc<String>, Arc<Scenario>, f64);

impl PartialEq for Waiting {
    fn eq(&self, other: &Waiting) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Messages held for the lazy module. Compared by count: held messages are
/// only appended to until all are applied (a derived comparison of every
/// message would cost the page's transfer for nothing).
#[derive(Clone, Default)]
struct Held(Vec<Msg>);

impl PartialEq for Held {
    fn eq(&self, other: &Held) -> bool {
        self.0.len() == other.0.len()
    }
}

/// Whether the page's lazy module is in (natively: everything is).
#[cfg(target_arch = "wasm32")]
fn lazy_in() -> bool {
    crate::lazy::loaded()
}
#[cfg(not(target_arch = "wasm32"))]
fn lazy_in() -> bool {
    true
}

/// A parse's result, handed over whole. Compared by identity and printed
/// as a word: a derived comparison or printing of a whole scenario would
/// cost the page's transfer a few kilobytes for nothing.
#[derive(Clone)]
pub struct Parsed(pub Rc<Result<Arc<Scenario>, ParseError>>);

impl PartialEq for Parsed {
    fn eq(&self, other: &Parsed) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Parsed")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// Built-in number N, with its text (builtins.rs: fetched when asked for).
    LoadBuiltin(usize, String),
    /// Load a text (share link); `t` and the selected monitor's name optional.
    LoadText(String, Option<Time>, Option<String>),
    Edit(String),
    /// Show an imported history (`Model::imported`); its inferred scenario
    /// is the editor's text.
    Imported(Rc<Model>),
    /// Insert `at <playhead> <action>`.
    Apply(String),
    Undo,
    Seek(Time),
    /// Real milliseconds since the last animation frame.
    Frame(f64),
    /// The run simulated further (app.rs simulates it between frames):
    /// shown if it is still the run of the text.
    Grown(Rc<Model>),
    TogglePlay,
    Speed(f64),
    SkipQuiet(bool),
    StepNext,
    StepPrev,
    SelectMon(Option<NodeId>),
    /// Select a trace event (and move the playhead to it).
    SelectEvent(Option<usize>),
    /// Select a trace event clicked at these page coordinates.
    Pick(usize, i32, i32),
    SelectLink(Option<(NodeId, NodeId)>),
    Help(bool),
    /// Multiply the timeline span by this factor, around the playhead.
    Zoom(f64),
    /// Move the timeline window by this fraction of its span.
    Pan(f64),
    /// Start the timeline window here (dragging it).
    PanTo(Time),
    Follow(bool),
    DismissNotice,
    /// Tell the reader something failed outside the reducer (an export).
    Notify(String),
    /// Play or pause (an embed's host, a tour).
    Play(bool),
    /// Play from the playhead and pause at this time.
    PlayTo(Time),
    /// A long edited text, parsed in slices (app.rs): shown if it is still
    /// the editor's text.
    Parsed(String, Parsed),
    /// Show a session read back from IndexedDB (src/store/).
    Restore(Rc<crate::store::session::Session>),
    /// Kill every running monitor at the playhead and revive it from its store.
    PowerCycle,
    /// Play to this time (a tour's next note) within TRAVEL_MS of real time.
    TravelTo(Time),
    /// Show or hide a protocol (its bit).
    ToggleProtocol(u8),
    /// The timeline shows the whole run.
    FitRun,
    /// The timeline shows the selected event.
    FitSelection,
    /// The first visit: play, and offer the tour.
    FirstVisit(bool),
    /// The tour was taken or declined.
    TourOffered,
    /// Start the tour, at the scenario's description.
    TourStart,
    /// Leave the tour at the step at this time.
    TourLeave(Time),
    /// Back to where the tour was left, with its scenario.
    TourReturn,
    /// Back to the tour's scenario, at this step's time.
    TourRescript(Time),
    /// Pause with the playhead here.
    PauseAt(Time),
    /// Show the link or embed code copied (true: embed code).
    Shared(Option<(bool, String)>),
    /// The theme changed (true: dark).
    Dark(bool),
    /// List timers in the event log, or not.
    Timers(bool),
    /// The lazy module is in: the messages held for it are applied.
    LazyIn,
}

impl Msg {
    /// The reader's own moves of the view: what a session read back from the
    /// database afterwards must leave alone.
    fn moves_the_view(&self) -> bool {
        matches!(
            self,
            Msg::Seek(_)
                | Msg::TogglePlay
                | Msg::Play(_)
                | Msg::Speed(_)
                | Msg::SkipQuiet(_)
                | Msg::StepNext
                | Msg::StepPrev
                | Msg::SelectMon(_)
                | Msg::SelectEvent(_)
                | Msg::Pick(..)
                | Msg::SelectLink(_)
                | Msg::Zoom(_)
                | Msg::Pan(_)
                | Msg::PanTo(_)
                | Msg::Follow(_)
                | Msg::FitRun
                | Msg::FitSelection
                | Msg::ToggleProtocol(_)
                | Msg::Timers(_)
        )
    }
}

impl AppState {
    pub fn new(text: &str, stem: Option<&'static str>) -> AppState {
        let mut s = AppState {
            text: Rc::default(),
            model: None,
            error: None,
            parsing: false,
            notice: None,
            undo: Vec::new(),
            stem,
            t: 0,
            playing: false,
            speed: DEFAULT_SPEED,
            skip_quiet: true,
            selected_mon: None,
            selected_event: None,
            selected_link: None,
            help: false,
            win_start: 0,
            win_span: DEFAULT_SPAN,
            follow: true,
            story: false,
            pending: None,
            stop_at: None,
            panel_t: 0,
            panel_wait: 0.0,
            hidden: HIDDEN_BY_DEFAULT,
            travel: None,
            anchor: None,
            offer_tour: false,
            tour: None,
            tour_left: None,
            shared: None,
            dark: false,
            timers: false,
            viewed: false,
            lazy_in: lazy_in(),
            held: Held::default(),
            waiting: None,
        };
        s.set_text_sliced(text.to_string().into(), FIRST_SLICE_MS);
        s.story_window();
        s
    }

    /// The timeline shows the scenario's story from its start.
    fn story_window(&mut self) {
        if let Some(m) = &self.model {
            self.win_start = 0;
            self.win_span = m.story_span();
            self.story = true;
        }
    }

    /// Whether messages wait for the lazy module ([`AppState::held`]).
    pub fn holding(&self) -> bool {
        !self.held.0.is_empty() || self.waiting.is_some()
    }

    /// The text shown once the messages held are applied: the one the
    /// reader typed or opened last.
    pub fn text_ahead(&self) -> Rc<String> {
        let held = self.held.0.iter().rev().find_map(|m| match m {
            Msg::Edit(t) | Msg::LoadText(t, ..) | Msg::LoadBuiltin(_, t) => Some(t),
            _ => None,
        });
        held.map_or_else(|| self.text.clone(), |t| Rc::new(t.clone()))
    }

    /// Whether `msg` must wait for the lazy module: it would run a text
    /// other than the first built-in's (or one held before it has to wait).
    fn waits_for_lazy(&self, msg: &Msg) -> bool {
        if self.lazy_in || matches!(msg, Msg::LazyIn) {
            return false;
        }
        if !self.held.0.is_empty() {
            return true;
        }
        let another = |text: &str| text != crate::builtins::FIRST.1;
        // (An edit of the text shown waits in `waiting` instead: its text is
        // shown at once.) Another scenario opened waits whole: its time, its
        // selection and its story window are the new run's.
        match msg {
            Msg::LoadBuiltin(_, text) | Msg::LoadText(text, ..) => another(text),
            Msg::Restore(session) => another(&session.text),
            Msg::TourReturn => self.tour_left.as_ref().is_some_and(|(_, t)| another(t)),
            // It reads the run shown, which must be the text's.
            Msg::PowerCycle => self.waiting.is_some(),
            Msg::Imported(_) => true,
            _ => false,
        }
    }

    /// Simulated time per real time while playing at the playhead. Every
    /// message a reader follows stays on screen at least MIN_FLIGHT_MS at
    /// the default speed; with nothing of that kind in the air, "hurry
    /// quiet times" runs at least at QUIET_SPEED.
    fn rate(&self, model: &Model) -> f64 {
        match model.shortest_loud(self.t, self.hidden) {
            Some(d) => {
                let wall = MIN_FLIGHT_MS * (DEFAULT_SPEED / self.speed).min(1.0);
                self.speed.min(d as f64 / (1000.0 * wall))
            }
            None if self.skip_quiet => self.speed.max(QUIET_SPEED),
            None => self.speed,
        }
    }

    /// The selected monitor's name.
    pub fn selected_name(&self) -> Option<String> {
        let m = self.selected_mon?;
        self.model.as_ref()?.names.get(m as usize).cloned()
    }

    pub fn end(&self) -> Time {
        self.model.as_ref().map_or(0, |m| m.end)
    }

    /// Simulate on towards the time the playhead is on its way to, for at
    /// most REACH_MS (opening a link or an embed at a time).
    pub fn reach_pending(&mut self) {
        let started = crate::playback::wall_ms();
        while let (Some(t), Some(model)) = (self.pending, &self.model) {
            if model.ready >= t || model.done() || crate::playback::wall_ms() - started > REACH_MS {
                break;
            }
            let next = Rc::new(model.advance(SLICE_MS));
            self.grown(next);
        }
    }

    /// Where the playhead is on its way to, once the run gets there.
    pub fn pending(&self) -> Option<Time> {
        self.pending
    }

    /// How far the run has been simulated: the playhead goes no further.
    pub fn ready(&self) -> Time {
        self.model.as_ref().map_or(0, |m| m.ready)
    }

    /// Show more of the run; the story window follows a growing story
    /// until the reader moves the window.
    fn grown(&mut self, next: Rc<Model>) {
        let Some(model) = self
            .model
            .as_ref()
            .filter(|m| m.id == next.id && m.ready < next.ready)
        else {
            return;
        };
        if self.story && self.win_start == 0 && self.win_span == model.story_span() {
            self.win_span = next.story_span();
        }
        self.model = Some(next);
        if let Some(t) = self
            .pending
            .filter(|&t| t <= self.ready() || self.end() <= self.ready())
        {
            self.seek(t);
        }
    }

    /// The text being parsed in slices, if one is.
    pub fn parsing(&self) -> Option<&str> {
        self.parsing.then_some(self.text.as_str())
    }

    /// Parse and run `text`; a text that does not parse keeps the last run.
    fn set_text(&mut self, text: impl Into<Rc<String>>) {
        self.set_text_sliced(text.into(), SLICE_MS);
    }

    /// [`AppState::set_text`], simulating `slice_ms` of the new run at once.
    fn set_text_sliced(&mut self, text: Rc<String>, slice_ms: f64) {
        self.parsing = false;
        if self.model.as_ref().is_some_and(|m| m.text == text) {
            self.text = text;
            self.error = None;
            self.waiting = None;
            return;
        }
        let parsed = scenario::parse(&text).map(Arc::new);
        self.run_parsed(text, parsed, slice_ms);
        self.reach_pending();
    }

    /// Run a parsed `text`, simulating `slice_ms` of it at once; a text
    /// that does not parse keeps the last run.
    fn run_parsed(
        &mut self,
        text: Rc<String>,
        parsed: Result<Arc<Scenario>, ParseError>,
        slice_ms: f64,
    ) {
        self.parsing = false;
        self.waiting = None;
        // An edit keeps the window; a new scenario opens on its story after.
        self.story = false;
        // Only the first built-in's text runs before the lazy module is in:
        // shown now, run then (`Msg::LazyIn`).
        let parsed = match parsed {
            Ok(s) if !self.lazy_in && *text != crate::builtins::FIRST.1 => {
                self.waiting = Some(Waiting(text.clone(), s, slice_ms));
                self.error = None;
                self.text = text;
                return;
            }
            parsed => parsed,
        };
        match parsed.map(|s| Model::of(&text, s).advance(slice_ms)) {
            Ok(model) => {
                self.error = None;
                let n = model.mon_count() as NodeId;
                self.selected_mon = self.selected_mon.filter(|&m| m < n);
                self.selected_link = self.selected_link.filter(|&(a, b)| a <= n && b <= n);
                self.selected_event = None;
                self.model = Some(Rc::new(model));
            }
            Err(e) => self.error = Some(e),
        }
        self.text = text;
        // An edit keeps the playhead where it was, once the new run gets there.
        self.seek(self.t);
    }

    fn seek(&mut self, t: Time) {
        let ready = self.ready();
        self.pending = (t > ready && ready < self.end()).then_some(t);
        self.t = t.min(ready);
        self.keep_in_window();
    }

    fn keep_in_window(&mut self) {
        if self.follow
            && (self.t < self.win_start || self.t >= self.win_start.saturating_add(self.win_span))
        {
            self.win_start = self.t.saturating_sub(self.win_span / 10);
        }
    }

    fn frame(&mut self, real_ms: f64) {
        let Some(model) = self.model.clone() else {
            self.playing = false;
            return;
        };
        if !self.playing {
            return;
        }
        // A hidden tab or a long GC pause: never jump more than 100 ms of real time.
        let real_ms = monscope_core::fixed::clamp(real_ms, 0.0, 100.0);
        let rate = self.rate(&model);
        let step = (real_ms * 1000.0 * rate).round().max(1.0) as Time;
        let mut t = self.t.saturating_add(step);
        if rate > self.speed {
            // Hurrying: do not fly past the next message a reader follows.
            if let Some(next) = model.next_loud_send(self.t, self.hidden) {
                t = t.min(next);
            }
        }
        if let (Some((from, ms)), Some(to)) = (&mut self.travel, self.stop_at) {
            // A tour's Next: eased out, so it arrives within TRAVEL_MS and
            // the last moments before the note play at their own pace.
            *ms += real_ms;
            let k = (*ms / TRAVEL_MS).min(1.0);
            let eased = 1.0 - (1.0 - k).powi(5);
            t = t.max(*from + (to.saturating_sub(*from) as f64 * eased) as Time);
        }
        if t >= model.end {
            t = model.end;
            self.playing = false;
        }
        // Not simulated that far yet: wait there, still playing.
        t = t.min(model.ready);
        if let Some(stop) = self.stop_at.filter(|&s| t >= s) {
            t = stop;
            self.playing = false;
            self.stop_at = None;
        }
        if !self.playing {
            self.travel = None;
        }
        self.seek(t);
    }

    fn apply(&mut self, action: &str) {
        match edit::insert_at(&self.text, self.t, action) {
            Ok(text) => {
                self.notice = None;
                let old = std::mem::take(&mut self.text);
                self.set_text(text);
                self.undo.push(old);
                self.seek(edit::at_time(self.t));
                self.reach_pending();
            }
            Err(e) => self.notice = Some(e),
        }
    }

    pub fn reduce(mut self, msg: Msg) -> AppState {
        if self.waits_for_lazy(&msg) {
            // An animation frame held would only re-render the page, 60 a
            // second for the fetch's length: the playhead waits with the
            // messages held.
            if matches!(msg, Msg::Frame(_)) {
                return self;
            }
            // The reader's move counts at once (the stored session, read
            // meanwhile, must not undo it: store/persist.rs).
            self.viewed |= msg.moves_the_view();
            self.held.0.push(msg);
            return self;
        }
        self.viewed |= msg.moves_the_view();
        match msg {
            Msg::LoadBuiltin(i, text) => {
                if let Some(stem) = crate::builtins::stem(i) {
                    let old = std::mem::take(&mut self.text);
                    self.t = 0;
                    self.playing = false;
                    self.selected_mon = None;
                    self.selected_link = None;
                    self.set_text(text);
                    self.undo.push(old);
                    self.stem = Some(stem);
                    self.story_window();
                    self.notice = None;
                }
            }
            Msg::LoadText(text, t, sel) => {
                // A built-in's text (a shared link of one) is that built-in.
                self.stem = crate::builtins::stem_of(&text);
                self.set_text(text);
                self.story_window();
                if let (Some(model), Some(sel)) = (&self.model, sel) {
                    self.selected_mon = model
                        .names
                        .iter()
                        .position(|n| *n == sel)
                        .map(|i| i as NodeId);
                }
                self.seek(t.unwrap_or(0));
                self.reach_pending();
            }
            Msg::Imported(model) => {
                self.stem = None;
                self.text = model.text.clone();
                self.error = None;
                self.selected_mon = None;
                self.selected_event = None;
                self.selected_link = None;
                self.model = Some(model);
                self.story_window();
                self.seek(0);
            }
            Msg::Edit(text) => {
                if text != *self.text {
                    let text = Rc::new(text);
                    let old = std::mem::replace(&mut self.text, text.clone());
                    if self.undo.last() != Some(&old) {
                        self.undo.push(old);
                    }
                    // The picker shows "(your own)" once the text is not the built-in's.
                    if self.stem.is_some() && crate::builtins::stem_of(&text) != self.stem {
                        self.stem = None;
                    }
                    let lines = text.bytes().filter(|&b| b == b'\n').count();
                    if lines > PARSE_LINES {
                        self.text = text;
                        self.parsing = true;
                    } else {
                        self.set_text(text);
                    }
                }
            }
            Msg::Parsed(text, parsed) => {
                if self.parsing && text == *self.text {
                    // Only the start at once: this task parsed already.
                    self.run_parsed(self.text.clone(), (*parsed.0).clone(), 0.0);
                }
            }
            Msg::Apply(action) => self.apply(&action),
            Msg::Undo => {
                if let Some(text) = self.undo.pop() {
                    self.set_text(text);
                    self.notice = None;
                }
            }
            Msg::Seek(t) => {
                self.stop_at = None;
                self.travel = None;
                self.seek(t);
            }
            Msg::Grown(next) => {
                self.grown(next);
                // The playhead, the panels and the tour see the longer run
                // at the next frame or input.
                if self.playing {
                    return self;
                }
            }
            Msg::Frame(ms) => {
                self.frame(ms);
                self.panel_wait += ms;
                if self.panel_wait < PANEL_EVERY_MS && self.playing {
                    return self;
                }
            }
            Msg::TogglePlay => {
                self.stop_at = None;
                self.travel = None;
                if !self.playing && self.t >= self.end() {
                    self.seek(0);
                }
                self.playing = !self.playing && self.model.is_some();
                if self.playing {
                    self.follow = true;
                    self.keep_in_window();
                }
            }
            Msg::Speed(s) => self.speed = monscope_core::fixed::clamp(s, 0.0001, 100.0),
            Msg::SkipQuiet(b) => self.skip_quiet = b,
            Msg::StepNext => {
                self.playing = false;
                if let Some(t) = self.model.as_ref().and_then(|m| m.next_event(self.t)) {
                    self.seek(t);
                }
            }
            Msg::StepPrev => {
                self.playing = false;
                if let Some(t) = self.model.as_ref().and_then(|m| m.prev_event(self.t)) {
                    self.seek(t);
                }
            }
            Msg::SelectMon(m) => self.selected_mon = m,
            Msg::Pick(ev, x, y) => {
                self = self.reduce(Msg::SelectEvent(Some(ev)));
                self.anchor = Some((x, y));
            }
            Msg::SelectEvent(e) => {
                self.anchor = None;
                self.selected_event = e;
                if let (Some(i), Some(model)) = (e, self.model.clone()) {
                    if let Some(ev) = model.trace().event(i) {
                        self.playing = false;
                        // Its monitor (a message's sender) is selected too.
                        if let Some(m) =
                            event_mon(&ev.kind).filter(|&m| (m as usize) < model.mon_count())
                        {
                            self.selected_mon = Some(m);
                        }
                        // A message: the middle of its flight, where both views show it.
                        let t = match &ev.kind {
                            monscope_core::trace::EventKind::Send { id, .. } => model
                                .flight(*id)
                                .map_or(ev.at, |f| f.sent + (f.end - f.sent) / 2),
                            _ => ev.at,
                        };
                        self.seek(t);
                    }
                }
            }
            Msg::SelectLink(l) => self.selected_link = l,
            Msg::Help(b) => self.help = b,
            Msg::Zoom(f) => {
                let span = monscope_core::fixed::clamp(
                    (self.win_span as f64) * f,
                    MS as f64,
                    3600.0 * SEC as f64,
                );
                let span = span as Time;
                // Keep the playhead where it is on screen: the time the reader
                // asked for, when a seek still waits for the simulation.
                let at = self.pending.unwrap_or(self.t);
                let rel = (at.saturating_sub(self.win_start)) as f64 / self.win_span as f64;
                let rel = if (0.0..=1.0).contains(&rel) { rel } else { 0.1 };
                self.win_start = at.saturating_sub((span as f64 * rel) as Time);
                self.win_span = span;
            }
            Msg::Pan(f) => {
                self.follow = false;
                let d = (self.win_span as f64 * f.abs()) as Time;
                self.win_start = if f < 0.0 {
                    self.win_start.saturating_sub(d)
                } else {
                    self.win_start.saturating_add(d).min(self.end())
                };
            }
            Msg::PanTo(start) => {
                self.follow = false;
                self.win_start = start.min(self.end());
            }
            Msg::Follow(b) => {
                self.follow = b;
                self.keep_in_window();
            }
            Msg::DismissNotice => self.notice = None,
            Msg::Notify(text) => self.notice = Some(text),
            Msg::Play(play) => {
                self.stop_at = None;
                if play != self.playing {
                    self = self.reduce(Msg::TogglePlay);
                }
            }
            Msg::PlayTo(t) => {
                self = self.reduce(Msg::Play(true));
                self.stop_at = (t > self.t).then_some(t);
                self.playing = self.stop_at.is_some() && self.model.is_some();
                if !self.playing {
                    self.seek(t);
                }
            }
            Msg::Restore(session) => return session.restore(self),
            Msg::TravelTo(t) => {
                let from = self.t;
                self = self.reduce(Msg::PlayTo(t));
                self.travel = self.playing.then_some((from, 0.0));
            }
            Msg::ToggleProtocol(bit) => self.hidden ^= bit,
            Msg::FitRun => {
                self.win_start = 0;
                self.win_span = self.end().max(MS);
            }
            Msg::FitSelection => {
                let model = self.model.clone();
                let ev = self.selected_event.and_then(|i| Some((model.as_ref()?, i)));
                if let Some((m, i)) = ev {
                    // A message: its flight in the middle three fifths; a
                    // mark: the 20 ms around it.
                    let ev = m.trace().event(i);
                    let (a, b) = match ev.as_ref().map(|e| (e.at, &e.kind)) {
                        Some((_, monscope_core::trace::EventKind::Send { id, .. })) => {
                            m.flight(*id).map_or((0, 0), |f| (f.sent, f.end))
                        }
                        Some((at, _)) => (at, at),
                        None => (0, 0),
                    };
                    let span = ((b - a) * 5 / 3).max(20 * MS);
                    self.win_span = span;
                    self.win_start = ((a + b) / 2).saturating_sub(span / 2);
                    self.follow = false;
                }
            }
            Msg::FirstVisit(play) => {
                self.offer_tour = true;
                self.playing = play && self.model.is_some();
            }
            Msg::TourOffered => self.offer_tour = false,
            Msg::TourStart => {
                self.offer_tour = false;
                self.tour_left = None;
                self.tour = Some(self.text.clone());
                self = self.reduce(Msg::PauseAt(0));
            }
            Msg::TourLeave(at) => {
                self.tour_left = self.tour.take().map(|text| (at, text));
            }
            Msg::TourReturn => {
                if let Some((at, text)) = self.tour_left.take() {
                    self.tour = Some(text);
                    self = self.reduce(Msg::TourRescript(at));
                }
            }
            Msg::TourRescript(at) => {
                if let Some(text) = self.tour.clone().filter(|t| *t != self.text) {
                    self = self.reduce(Msg::Edit((*text).clone()));
                }
                self = self.reduce(Msg::PauseAt(at));
            }
            Msg::PauseAt(at) => self = self.reduce(Msg::Play(false)).reduce(Msg::Seek(at)),
            Msg::Shared(s) => self.shared = s,
            Msg::Dark(d) => self.dark = d,
            Msg::Timers(b) => self.timers = b,
            Msg::LazyIn => {
                self.lazy_in = true;
                if let Some(Waiting(text, scenario, slice_ms)) = self.waiting.take() {
                    self.run_parsed(text, Ok(scenario), slice_ms);
                    self.reach_pending();
                }
                for held in std::mem::take(&mut self.held.0) {
                    self = self.reduce(held);
                }
                return self;
            }
            Msg::PowerCycle => {
                let cycled = self.model.as_ref().map_or_else(
                    || Err("the scenario does not parse".to_string()),
                    |m| crate::store::power_cycle::insert(m, &self.text, self.t),
                );
                match cycled {
                    Ok(text) => {
                        self.notice = None;
                        let old = std::mem::take(&mut self.text);
                        self.set_text(text);
                        self.undo.push(old);
                    }
                    Err(e) => self.notice = Some(e),
                }
            }
        }
        self.panel_t = self.t;
        self.panel_wait = 0.0;
        self
    }
}

/// The monitor an event belongs to: a message's sender, a status's or a
/// commit's monitor.
fn event_mon(kind: &monscope_core::trace::EventKind) -> Option<NodeId> {
    use monscope_core::trace::EventKind as K;
    match kind {
        K::Send { from, .. } => Some((*from).into()),
        K::Status { node, .. }
        | K::Commit { node, .. }
        | K::Store { node, .. }
        | K::Log { node, .. }
        | K::TimerSet { node, .. }
        | K::TimerFire { node, .. }
        | K::TimerCancel { node, .. } => Some(*node),
        K::ClientReply { from, .. } => Some(*from),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::mon::status::MonState;
    use monscope_core::scenario::library::BUILTIN;

    #[test]
    fn each_speed_is_written_as_the_shortest_text_of_its_value() {
        for &(v, text, _) in SPEEDS {
            assert_eq!(monscope_core::fixed::shortest(v).as_deref(), Some(text));
        }
    }

    fn leader_at(s: &AppState, t: Time) -> Option<NodeId> {
        s.model.as_ref().unwrap().sim_at(t).state().leader()
    }

    #[test]
    fn a_long_pasted_text_runs_once_parsed_and_a_stale_parse_is_dropped() {
        let s = AppState::new(BUILTIN[0].1, None);
        let writes = |n: usize| {
            let mut text = String::from("mons a b c\n");
            for i in 0..n {
                text += &format!("at {}ms write k v{i}\n", 1000 + i);
            }
            text
        };
        let (long, longer) = (writes(PARSE_LINES + 1), writes(PARSE_LINES + 2));
        let s = s.reduce(Msg::Edit(long.clone()));
        // The last run shows while the text is parsed (app.rs: parse_on).
        assert_eq!(s.parsing(), Some(long.as_str()));
        assert_eq!(*s.model.as_ref().unwrap().text, BUILTIN[0].1);
        let s = s.reduce(Msg::Edit(longer.clone()));
        // The parse of a text the reader has replaced is not shown.
        let parsed = |t: &str| Parsed(Rc::new(scenario::parse(t).map(Arc::new)));
        let s = s.reduce(Msg::Parsed(long.clone(), parsed(&long)));
        assert_eq!(*s.model.as_ref().unwrap().text, BUILTIN[0].1);
        let s = s.reduce(Msg::Parsed(longer.clone(), parsed(&longer)));
        assert_eq!((s.parsing(), s.error.as_ref()), (None, None));
        let model = s.model.as_ref().unwrap();
        assert_eq!(
            (model.text.as_str(), model.names.len()),
            (longer.as_str(), 4)
        );
        // A long text that does not parse keeps the last run, and says why.
        let broken = longer.replace("write k v5\n", "write k\n");
        let s = s.reduce(Msg::Edit(broken.clone()));
        let s = s.reduce(Msg::Parsed(broken.clone(), parsed(&broken)));
        assert_eq!(s.error.as_ref().map(|e| e.line), Some(7));
        assert_eq!(s.model.as_ref().unwrap().text.as_str(), longer.as_str());
    }

    #[test]
    fn an_edit_keeps_the_readers_window_as_its_run_grows() {
        let s = AppState::new(BUILTIN[0].1, None);
        // Expectations only: its story is its first commit, which only the
        // run tells (a note or an action planned is its story from the start).
        let mut text = String::from("mons a b c\nend 60s\n");
        for i in 0..=PARSE_LINES {
            text += &format!("at {}ms expect quorum a b c\n", 10_000 + 4 * i);
        }
        let s = s.reduce(Msg::Edit(text.clone()));
        let parsed = Parsed(Rc::new(scenario::parse(&text).map(Arc::new)));
        let mut s = s.reduce(Msg::Parsed(text, parsed));
        // The reader's window happens to have the new run's story span so
        // far (a run whose story is not told yet: the whole run).
        let started = s.model.clone().unwrap();
        s.win_span = started.story_span();
        let window = (s.win_start, s.win_span);
        let whole = Rc::new(started.advance(f64::INFINITY));
        assert_ne!(whole.story_span(), started.story_span());
        let s = s.reduce(Msg::Grown(whole));
        assert_eq!((s.win_start, s.win_span), window);
        // A scenario opened anew follows its story as it grows.
        let s = s.reduce(Msg::LoadText(BUILTIN[0].1.to_string(), None, None));
        assert!(s.story);
    }

    #[test]
    fn the_readers_moves_are_noted_and_the_runs_growth_is_not() {
        let s = AppState::new(BUILTIN[0].1, Some(BUILTIN[0].0));
        // What the page does by itself at the start moves nothing.
        let model = s.model.clone().unwrap();
        let s = s.reduce(Msg::Grown(model)).reduce(Msg::Frame(16.7));
        assert!(!s.viewed);
        let s = s.reduce(Msg::SelectMon(Some(1)));
        assert!(s.viewed);
        let s = AppState::new(BUILTIN[0].1, None).reduce(Msg::Seek(SEC));
        assert!(s.viewed);
    }

    #[test]
    fn playing_reaches_a_leader_and_stops_at_the_end() {
        let mut s = AppState::new(BUILTIN[0].1, Some(BUILTIN[0].0));
        assert!(s.model.is_some() && s.error.is_none());
        s = s.reduce(Msg::TogglePlay);
        let mut frames = 0;
        while s.playing && frames < 100_000 {
            s = s.reduce(Msg::Frame(16.7));
            frames += 1;
        }
        assert!(!s.playing);
        assert_eq!(s.t, s.end());
        assert!(leader_at(&s, s.t).is_some());
    }

    #[test]
    fn killing_the_leader_elects_another_and_undo_restores() {
        let mut s = AppState::new(BUILTIN[0].1, None);
        s = s.reduce(Msg::Seek(3 * SEC));
        let leader = leader_at(&s, s.t).unwrap();
        let name = s.model.as_ref().unwrap().names[leader as usize].clone();
        let before = s.text.clone();
        s = s.reduce(Msg::Apply(format!("kill {name}")));
        assert!(s.notice.is_none(), "{:?}", s.notice);
        assert!(s.text.contains(&format!("at 3s kill {name}")));
        let later = leader_at(&s, s.t + 20 * SEC);
        assert!(later.is_some() && later != Some(leader));
        let sim = s.model.as_ref().unwrap().sim_at(s.t + 20 * SEC);
        assert_eq!(sim.state().status(leader).state, MonState::Down);
        s = s.reduce(Msg::Undo);
        assert_eq!(s.text, before);
    }

    #[test]
    fn a_broken_text_is_an_error_and_keeps_the_last_run() {
        let mut s = AppState::new(BUILTIN[0].1, None);
        s = s.reduce(Msg::Edit("mons a b c\nat 1s explode a\n".into()));
        let e = s.error.clone().unwrap();
        assert_eq!(e.line, 2);
        assert!(s.model.is_some());
        s = s.reduce(Msg::Apply("kill a".into()));
        assert!(s.notice.is_some());
        s = s.reduce(Msg::Apply("bogus".into()));
        assert!(s.notice.is_some());
    }

    #[test]
    fn selecting_a_message_selects_its_sender_and_dragging_pans() {
        let mut s = AppState::new(BUILTIN[0].1, None);
        let model = s.model.clone().unwrap();
        let fl = model.flights().iter().find(|f| f.from == 1).unwrap();
        s = s.reduce(Msg::SelectEvent(Some(fl.ev)));
        assert_eq!(s.selected_mon, Some(1));
        assert!(s.t > fl.sent && s.t <= fl.end);
        s = s.reduce(Msg::PanTo(2 * SEC));
        assert_eq!(s.win_start, 2 * SEC);
        assert!(!s.follow, "a dragged window stops following the playhead");
        s = s.reduce(Msg::PanTo(Time::MAX));
        assert_eq!(s.win_start, s.end());
    }

    /// Plays `s` frame by frame (16.7 ms) until `done` or 100,000 frames;
    /// returns the real milliseconds it took.
    fn play_until(s: &mut AppState, done: impl Fn(&AppState) -> bool) -> f64 {
        let mut ms = 0.0;
        while !done(s) && ms < 1_670_000.0 {
            *s = s.clone().reduce(Msg::Frame(16.7));
            ms += 16.7;
        }
        ms
    }

    #[test]
    fn every_message_a_reader_follows_flies_at_least_half_a_second() {
        let mut s = AppState::new(BUILTIN[0].1, None);
        let model = s.model.clone().unwrap();
        s = s.reduce(Msg::TogglePlay);
        // Real time each flight of the first 50 ms is seen, frame by frame.
        let mut seen = std::collections::BTreeMap::<usize, f64>::new();
        while s.t < 50 * MS && s.playing {
            for f in model.in_flight(s.t, 0) {
                *seen.entry(f.ev).or_default() += 16.7;
            }
            s = s.reduce(Msg::Frame(16.7));
        }
        let loud: Vec<_> = model
            .flights()
            .iter()
            .filter(|f| f.sent < 40 * MS && !crate::playback::is_quiet(f))
            .filter(|f| crate::playback::protocol_bit(f.protocol) & s.hidden == 0)
            .collect();
        assert!(loud.len() > 10, "{}", loud.len());
        for f in loud {
            let ms = seen.get(&f.ev).copied().unwrap_or(0.0);
            assert!(
                ms >= MIN_FLIGHT_MS - 17.0,
                "{} {}→{} at {}: on screen {ms} ms",
                f.op,
                f.from,
                f.to,
                f.sent
            );
        }
    }

    #[test]
    fn quiet_times_hurry_past_pings_leases_and_time_checks() {
        let mut s = AppState::new(
            monscope_core::scenario::library::get("leader-failover").unwrap(),
            None,
        );
        s = s.reduce(Msg::Seek(22 * SEC)).reduce(Msg::TogglePlay);
        // Only periodic traffic until the crash: at QUIET_SPEED, not 1/20×.
        let ms = play_until(&mut s, |s| s.t >= 29 * SEC);
        assert!(ms <= 7.0 * 1000.0 / QUIET_SPEED + 100.0, "{ms} ms for 7 s");
        // Without hurrying, it runs at the chosen speed.
        s = s.reduce(Msg::Seek(22 * SEC)).reduce(Msg::SkipQuiet(false));
        let ms = play_until(&mut s, |s| s.t >= 22 * SEC + 100 * MS);
        assert!(
            ms >= 100.0 / DEFAULT_SPEED - 50.0,
            "{ms} ms for 100 ms at 1/20×"
        );
    }

    #[test]
    fn a_tour_travels_to_its_next_note_within_three_seconds_and_slows_before_it() {
        let text = monscope_core::scenario::library::get("leader-failover").unwrap();
        let mut s = AppState::new(text, None);
        let note = s
            .model
            .as_ref()
            .unwrap()
            .marks()
            .iter()
            .find(|m| m.kind == crate::playback::MarkKind::Note)
            .unwrap()
            .at;
        s = s.reduce(Msg::TravelTo(note));
        let mut path = vec![(0.0, s.t)];
        while s.playing && path.len() < 10_000 {
            s = s.reduce(Msg::Frame(16.7));
            path.push((path.len() as f64 * 16.7, s.t));
        }
        let (ms, t) = *path.last().unwrap();
        assert_eq!((t, s.playing), (note, false));
        assert!(ms <= TRAVEL_MS + 17.0, "{ms} ms to travel");
        // Fast at first, slow at the end: the first tenth of the real time
        // covers a fifth of the way, the last tenth a sliver.
        let at = |k: f64| path[((path.len() - 1) as f64 * k) as usize].1 as f64;
        assert!(at(0.1) > 0.2 * note as f64, "{} of {note}", at(0.1));
        let last = note as f64 - at(0.9);
        assert!(last < 0.03 * note as f64, "the last tenth went {last} µs");
        // Skipping ends the travel at the note at once.
        s = s.reduce(Msg::Seek(0)).reduce(Msg::TravelTo(note));
        s = s.reduce(Msg::Play(false)).reduce(Msg::Seek(note));
        assert_eq!((s.t, s.playing, s.travel), (note, false, None));
    }

    #[test]
    fn the_timeline_opens_on_the_story_and_fits_the_run_or_the_selection() {
        let mut s = AppState::new(
            monscope_core::scenario::library::get("leader-failover").unwrap(),
            None,
        );
        let model = s.model.clone().unwrap();
        let last_note = model.stops.last().unwrap().0;
        assert_eq!(s.win_start, 0);
        assert!(
            s.win_span > last_note && s.win_span < model.end,
            "{}",
            s.win_span
        );
        s = s.reduce(Msg::FitRun);
        assert_eq!((s.win_start, s.win_span), (0, model.end));
        let f = model.flights().iter().find(|f| f.sent > 30 * SEC).unwrap();
        s = s
            .reduce(Msg::SelectEvent(Some(f.ev)))
            .reduce(Msg::FitSelection);
        assert!(s.win_start <= f.sent && f.end <= s.win_start + s.win_span);
        assert!(s.win_span <= (f.end - f.sent) * 2 + 20 * MS);
        // A plain start-up: the window shows the first commit.
        let s = AppState::new("mons a b c\n", None);
        let first_commit = s
            .model
            .as_ref()
            .unwrap()
            .marks()
            .iter()
            .find(|m| matches!(m.kind, crate::playback::MarkKind::Commit(_)))
            .unwrap()
            .at;
        assert!(
            s.win_span >= first_commit && s.win_span < SEC,
            "{}",
            s.win_span
        );
    }

    #[test]
    fn the_tour_can_be_left_and_returned_to_and_put_back_on_its_script() {
        let text = monscope_core::scenario::library::get("leader-failover").unwrap();
        let mut s = AppState::new(text, None).reduce(Msg::FirstVisit(true));
        assert!(s.offer_tour && s.playing);
        s = s.reduce(Msg::TourStart);
        assert_eq!(
            (s.tour.as_deref(), s.t, s.playing, s.offer_tour),
            (Some(&text.to_string()), 0, false, false)
        );
        let stop = s.model.as_ref().unwrap().stops[0].0;
        s = s
            .reduce(Msg::PauseAt(stop))
            .reduce(Msg::Apply("kill b".into()));
        // Off its script: the tour is on, the text is not the tour's.
        assert!(s.tour.is_some() && *s.text != text);
        s = s.reduce(Msg::TourRescript(stop));
        assert_eq!((s.text.as_str(), s.t), (text, stop));
        // Left, changed, returned: the script and the step come back.
        s = s
            .reduce(Msg::TourLeave(stop))
            .reduce(Msg::Apply("kill c".into()));
        assert!(s.tour.is_none() && s.tour_left.is_some());
        s = s.reduce(Msg::Seek(0)).reduce(Msg::TourReturn);
        assert_eq!(
            (s.text.as_str(), s.t, s.tour.as_deref()),
            (text, stop, Some(&text.to_string()))
        );
    }

    #[test]
    fn a_shared_built_in_opens_as_that_built_in() {
        let s = AppState::new(BUILTIN[0].1, None).reduce(Msg::LoadText(
            BUILTIN[3].1.into(),
            None,
            None,
        ));
        assert_eq!(s.stem, Some(BUILTIN[3].0));
        let s = s.reduce(Msg::LoadText("mons a b c\n".into(), None, None));
        assert_eq!(s.stem, None);
    }

    #[test]
    fn a_seek_beyond_the_simulated_run_lands_when_the_run_gets_there() {
        let text = monscope_core::scenario::library::get("leader-failover").unwrap();
        let mut s = AppState::new(text, None);
        // The page's first slice: only the start is simulated.
        let mut run = Model::start(text).unwrap().advance(0.0).advance(0.0);
        s.model = Some(Rc::new(run.clone()));
        s = s.reduce(Msg::Seek(30 * SEC));
        assert_eq!((s.t, s.pending()), (s.ready(), Some(30 * SEC)));
        // Playing waits at what is simulated.
        s = s.reduce(Msg::TogglePlay).reduce(Msg::Frame(16.7));
        assert!(s.playing && s.t <= s.ready());
        s = s.reduce(Msg::Play(false)).reduce(Msg::Seek(30 * SEC));
        while s.t != 30 * SEC {
            assert!(!run.done(), "the run ended before the playhead got there");
            run = run.advance(0.0);
            s = s.reduce(Msg::Grown(Rc::new(run.clone())));
        }
        assert_eq!(s.pending(), None);
        assert!(s.ready() >= 30 * SEC && s.model.as_ref().unwrap().status_at(0, s.t).is_some());
        // Zooming in while a seek waits keeps the time asked for in the window,
        // and the window stays put when the run gets there.
        let mut run = Model::start(text).unwrap().advance(0.0).advance(0.0);
        let mut s = AppState::new(text, None);
        s.model = Some(Rc::new(run.clone()));
        s = s.reduce(Msg::Seek(39 * SEC));
        assert_eq!(s.pending(), Some(39 * SEC));
        for _ in 0..3 {
            s = s.reduce(Msg::Zoom(0.5));
        }
        let window = (s.win_start, s.win_span);
        assert!(
            window.0 <= 39 * SEC && 39 * SEC < window.0 + window.1,
            "{window:?}"
        );
        while s.pending().is_some() {
            run = run.advance(0.0);
            s = s.reduce(Msg::Grown(Rc::new(run.clone())));
        }
        assert_eq!((s.t, (s.win_start, s.win_span)), (39 * SEC, window));
        // A model of another run is not shown.
        let other = Model::start("mons a b\n").unwrap().advance(0.0);
        let before = s.model.clone();
        s = s.reduce(Msg::Grown(Rc::new(other)));
        assert_eq!(s.model, before);
    }

    #[test]
    fn another_text_waits_for_the_lazy_module_with_what_comes_after_it() {
        let mut s = AppState::new(BUILTIN[0].1, Some(BUILTIN[0].0));
        s.lazy_in = false;
        // The first built-in's own run: at once.
        let s = s
            .reduce(Msg::Seek(SEC))
            .reduce(Msg::Edit(BUILTIN[0].1.into()));
        let first = s.model.clone().unwrap();
        assert_eq!((s.t, s.holding()), (SEC, false));
        // Another text waits, and so does what comes after it.
        let other = monscope_core::scenario::library::get("leader-failover").unwrap();
        let s = s
            .reduce(Msg::LoadText(other.into(), Some(30 * SEC), None))
            .reduce(Msg::Seek(2 * SEC));
        assert!(s.holding());
        // Animation frames meanwhile are not kept.
        let held = s.held.0.len();
        let s = s.reduce(Msg::Frame(16.7));
        assert_eq!(s.held.0.len(), held);
        assert!(Rc::ptr_eq(s.model.as_ref().unwrap(), &first));
        assert_eq!(s.text_ahead().as_str(), other);
        assert_eq!((s.t, s.text.as_str()), (SEC, BUILTIN[0].1));
        // An edit of the text shown is shown at once, and runs once the
        // module is in (the last run is shown until then).
        let mut edited = AppState::new(BUILTIN[0].1, None);
        edited.lazy_in = false;
        let shown = edited.model.clone().unwrap();
        let edited = edited
            .reduce(Msg::Edit("mons a\n".into()))
            .reduce(Msg::Edit("mons a b\n".into()));
        assert!(edited.holding() && Rc::ptr_eq(edited.model.as_ref().unwrap(), &shown));
        assert_eq!(edited.text.as_str(), "mons a b\n");
        let edited = edited.reduce(Msg::LazyIn);
        assert!(!edited.holding());
        assert_eq!(edited.model.as_ref().unwrap().text.as_str(), "mons a b\n");
        // So is an action on the cluster; an edit back to the shown run's
        // text needs nothing.
        let mut acted = AppState::new(BUILTIN[0].1, None);
        acted.lazy_in = false;
        let acted = acted
            .reduce(Msg::Seek(SEC))
            .reduce(Msg::Apply("kill a".into()));
        assert!(acted.holding() && acted.text.contains("at 1s kill a"));
        assert_eq!(acted.model.as_ref().unwrap().text.as_str(), BUILTIN[0].1);
        let back = acted.reduce(Msg::Undo);
        assert!(!back.holding());
        assert_eq!(back.text.as_str(), BUILTIN[0].1);
        // Once the module is in, they are applied in order.
        let s = s.reduce(Msg::LazyIn);
        assert!(!s.holding());
        assert_eq!((s.t, s.text.as_str()), (2 * SEC, other));
        assert_eq!(s.model.as_ref().unwrap().text.as_str(), other);
        let s = s.reduce(Msg::Apply("kill a".into()));
        assert!(!s.holding() && s.text.contains("kill a"));
    }

    #[test]
    fn play_to_pauses_exactly_at_the_time_given() {
        let mut s = AppState::new(BUILTIN[0].1, None);
        s = s.reduce(Msg::PlayTo(2 * SEC + 7));
        assert!(s.playing);
        let mut frames = 0;
        while s.playing && frames < 100_000 {
            s = s.reduce(Msg::Frame(16.7));
            frames += 1;
        }
        assert_eq!((s.t, s.stop_at), (2 * SEC + 7, None));
        // Backwards is a seek; pausing forgets the stop.
        s = s.reduce(Msg::PlayTo(SEC));
        assert_eq!((s.t, s.playing), (SEC, false));
        s = s.reduce(Msg::PlayTo(3 * SEC));
        s = s.reduce(Msg::Play(false));
        assert_eq!((s.playing, s.stop_at), (false, None));
    }
}
