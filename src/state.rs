//! The app's state and its reducer. The scenario text is the source of truth:
//! editing it or acting on the cluster (which appends a scenario line) rebuilds
//! the [`Model`]; the playhead `t` selects what the views show. Pure, so the
//! reducer is tested natively.

use crate::edit;
use crate::playback::Model;
use monscope_core::scenario::library::BUILTIN;
use monscope_core::scenario::ParseError;
use monscope_core::time::{Time, MS, SEC};
use monscope_core::trace::NodeId;
use std::rc::Rc;

/// Playback speeds offered: simulated seconds per real second.
pub const SPEEDS: &[(f64, &str)] = &[
    (0.001, "1/1000×"),
    (0.005, "1/200×"),
    (0.01, "1/100×"),
    (0.02, "1/50×"),
    (0.05, "1/20×"),
    (0.1, "1/10×"),
    (0.25, "1/4×"),
    (0.5, "1/2×"),
    (1.0, "1×"),
    (2.0, "2×"),
    (5.0, "5×"),
    (10.0, "10×"),
];
/// 1/20 of real time: a 5 ms message flies for a tenth of a second.
pub const DEFAULT_SPEED: f64 = 0.05;
/// While nothing is in the air, time runs at least this fast (to the next send).
pub const QUIET_SPEED: f64 = 1.0;
/// How often, in real milliseconds, the text panels follow a playing playhead.
pub const PANEL_EVERY_MS: f64 = 200.0;
/// The timeline's initial window.
pub const DEFAULT_SPAN: Time = SEC / 2;

#[derive(Clone, PartialEq)]
pub struct AppState {
    /// The editor's text (may not parse).
    pub text: String,
    /// The run of the last text that parsed.
    pub model: Option<Rc<Model>>,
    /// Why `text` does not parse.
    pub error: Option<ParseError>,
    /// Why the last action could not be applied.
    pub notice: Option<String>,
    /// Previous texts, for undo.
    pub undo: Vec<String>,
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
    /// Playing pauses here (a tour's next note, an embed's `until`).
    pub stop_at: Option<Time>,
    /// The playhead the text panels (event log, inspector, narration) show.
    /// While playing it catches up with `t` every PANEL_EVERY_MS of real
    /// time: text changing 60 times a second is unreadable and costs frames.
    pub panel_t: Time,
    /// Real milliseconds since `panel_t` last caught up.
    panel_wait: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    LoadBuiltin(usize),
    /// Load a text (share link); `t` and the selected monitor's name optional.
    LoadText(String, Option<Time>, Option<String>),
    Edit(String),
    /// Insert `at <playhead> <action>`.
    Apply(String),
    Undo,
    Seek(Time),
    /// Real milliseconds since the last animation frame.
    Frame(f64),
    TogglePlay,
    Speed(f64),
    SkipQuiet(bool),
    StepNext,
    StepPrev,
    SelectMon(Option<NodeId>),
    /// Select a trace event (and move the playhead to it).
    SelectEvent(Option<usize>),
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
    /// Show a session read back from IndexedDB (src/store/).
    Restore(Rc<crate::store::session::Session>),
    /// Kill every running monitor at the playhead and revive it from its store.
    PowerCycle,
}

impl AppState {
    pub fn new(text: &str, stem: Option<&'static str>) -> AppState {
        let mut s = AppState {
            text: String::new(),
            model: None,
            error: None,
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
            stop_at: None,
            panel_t: 0,
            panel_wait: 0.0,
        };
        s.set_text(text.to_string());
        s
    }

    /// The selected monitor's name.
    pub fn selected_name(&self) -> Option<String> {
        let m = self.selected_mon?;
        self.model.as_ref()?.names.get(m as usize).cloned()
    }

    pub fn end(&self) -> Time {
        self.model.as_ref().map_or(0, |m| m.end)
    }

    /// Parse and run `text`; a text that does not parse keeps the last run.
    fn set_text(&mut self, text: String) {
        if self.model.as_ref().is_some_and(|m| m.text == text) {
            self.text = text;
            self.error = None;
            return;
        }
        match Model::build(&text) {
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
        self.t = self.t.min(self.end());
    }

    fn seek(&mut self, t: Time) {
        self.t = t.min(self.end());
        self.keep_in_window();
    }

    fn keep_in_window(&mut self) {
        if self.follow && (self.t < self.win_start || self.t >= self.win_start + self.win_span) {
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
        let real_ms = real_ms.clamp(0.0, 100.0);
        let quiet = self.skip_quiet && model.in_flight(self.t, 0).next().is_none();
        let rate = if quiet {
            self.speed.max(QUIET_SPEED)
        } else {
            self.speed
        };
        let step = (real_ms * 1000.0 * rate).round().max(1.0) as Time;
        let mut t = self.t.saturating_add(step);
        if quiet {
            // Do not fly past the next message.
            let next = model.flights.partition_point(|f| f.sent <= self.t);
            if let Some(f) = model.flights.get(next) {
                t = t.min(f.sent);
            }
        }
        if t >= model.end {
            t = model.end;
            self.playing = false;
        }
        if let Some(stop) = self.stop_at.filter(|&s| t >= s) {
            t = stop;
            self.playing = false;
            self.stop_at = None;
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
                self.t = edit::at_time(self.t).min(self.end());
            }
            Err(e) => self.notice = Some(e),
        }
    }

    pub fn reduce(mut self, msg: Msg) -> AppState {
        match msg {
            Msg::LoadBuiltin(i) => {
                if let Some((stem, text)) = BUILTIN.get(i) {
                    let old = std::mem::take(&mut self.text);
                    self.t = 0;
                    self.playing = false;
                    self.selected_mon = None;
                    self.selected_link = None;
                    self.set_text(text.to_string());
                    self.undo.push(old);
                    self.stem = Some(stem);
                    self.win_start = 0;
                    self.notice = None;
                }
            }
            Msg::LoadText(text, t, sel) => {
                self.set_text(text);
                self.stem = None;
                if let (Some(model), Some(sel)) = (&self.model, sel) {
                    self.selected_mon = model
                        .names
                        .iter()
                        .position(|n| *n == sel)
                        .map(|i| i as NodeId);
                }
                self.seek(t.unwrap_or(0));
            }
            Msg::Edit(text) => {
                if text != self.text {
                    let old = std::mem::replace(&mut self.text, text.clone());
                    if self.undo.last() != Some(&old) {
                        self.undo.push(old);
                    }
                    // The picker shows "(your own)" once the text is not the built-in's.
                    if self.stem.and_then(monscope_core::scenario::library::get) != Some(&text) {
                        self.stem = None;
                    }
                    self.set_text(text);
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
                self.seek(t);
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
                if !self.playing && self.t >= self.end() {
                    self.seek(0);
                }
                self.playing = !self.playing && self.model.is_some();
                if self.playing {
                    self.follow = true;
                    self.keep_in_window();
                }
            }
            Msg::Speed(s) => self.speed = s.clamp(0.0001, 100.0),
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
            Msg::SelectEvent(e) => {
                self.selected_event = e;
                if let (Some(i), Some(model)) = (e, self.model.clone()) {
                    if let Some(ev) = model.trace.get(i) {
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
                                .flight_of
                                .get(id)
                                .and_then(|&f| model.flights.get(f))
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
                let span = ((self.win_span as f64) * f).clamp(MS as f64, 3600.0 * SEC as f64);
                let span = span as Time;
                // Keep the playhead where it is on screen.
                let rel = (self.t.saturating_sub(self.win_start)) as f64 / self.win_span as f64;
                let rel = if (0.0..=1.0).contains(&rel) { rel } else { 0.1 };
                self.win_start = self.t.saturating_sub((span as f64 * rel) as Time);
                self.win_span = span;
            }
            Msg::Pan(f) => {
                self.follow = false;
                let d = (self.win_span as f64 * f.abs()) as Time;
                self.win_start = if f < 0.0 {
                    self.win_start.saturating_sub(d)
                } else {
                    (self.win_start + d).min(self.end())
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
        K::Send { from, .. } => Some(*from),
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

    fn leader_at(s: &AppState, t: Time) -> Option<NodeId> {
        s.model.as_ref().unwrap().sim_at(t).state().leader()
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
        let fl = model.flights.iter().find(|f| f.from == 1).unwrap();
        s = s.reduce(Msg::SelectEvent(Some(fl.ev)));
        assert_eq!(s.selected_mon, Some(1));
        assert!(s.t > fl.sent && s.t <= fl.end);
        s = s.reduce(Msg::PanTo(2 * SEC));
        assert_eq!(s.win_start, 2 * SEC);
        assert!(!s.follow, "a dragged window stops following the playhead");
        s = s.reduce(Msg::PanTo(Time::MAX));
        assert_eq!(s.win_start, s.end());
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
