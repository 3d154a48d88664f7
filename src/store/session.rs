//! The session a reload brings back: the scenario text, the playhead, the
//! selection, the speed and the open panels. Pure; `db.rs` stores it.

use crate::state::{AppState, Msg};
use monscope_core::time::Time;
use monscope_core::trace::NodeId;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// Shared with the page's state: a session is taken after every render.
    pub text: Rc<String>,
    pub t: Time,
    /// The selected monitor, by name (ranks change with the text).
    pub sel: Option<String>,
    pub event: Option<usize>,
    pub link: Option<(NodeId, NodeId)>,
    pub speed: f64,
    pub skip_quiet: bool,
    pub help: bool,
    pub win_start: Time,
    pub win_span: Time,
    pub follow: bool,
    /// The built-in scenario the text came from, if unchanged.
    pub stem: Option<String>,
}

impl Session {
    pub fn of(s: &AppState) -> Session {
        Session {
            text: s.text.clone(),
            t: s.t,
            sel: s.selected_name(),
            event: s.selected_event,
            link: s.selected_link,
            speed: s.speed,
            skip_quiet: s.skip_quiet,
            help: s.help,
            win_start: s.win_start,
            win_span: s.win_span,
            follow: s.follow,
            stem: s.stem.map(str::to_string),
        }
    }

    /// `s` showing this session: the text's run at the playhead, with the
    /// selection and panels as they were (selections that no longer exist in
    /// the run are dropped). Paused: a reload never starts playing.
    pub fn restore(&self, s: AppState) -> AppState {
        let mut s = s.reduce(Msg::LoadText(
            (*self.text).clone(),
            Some(self.t),
            self.sel.clone(),
        ));
        s.stem = crate::builtins::stem_of(&self.text).filter(|b| self.stem.as_deref() == Some(*b));
        s.playing = false;
        s.speed = monscope_core::fixed::clamp(self.speed, 0.0001, 100.0);
        s.skip_quiet = self.skip_quiet;
        s.help = self.help;
        s.win_start = self.win_start;
        s.win_span = self.win_span.max(1);
        s.follow = self.follow;
        if let Some(model) = s.model.clone() {
            // A stored window is untrusted: within the run (or an hour).
            s.win_start = self.win_start.min(model.end);
            s.win_span = s
                .win_span
                .min(model.end.max(3_600 * monscope_core::time::SEC));
            let n = model.names.len() as NodeId;
            s.selected_link = self.link.filter(|&(a, b)| a < n && b < n);
            // An event not simulated yet may still come.
            s.selected_event = self
                .event
                .filter(|&e| e < model.trace().len() || !model.done());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::scenario::library::BUILTIN;
    use monscope_core::time::SEC;

    #[test]
    fn a_session_comes_back_as_it_was() {
        let mut s = AppState::new(BUILTIN[1].1, Some(BUILTIN[1].0));
        s = s
            .reduce(Msg::Seek(12 * SEC))
            .reduce(Msg::SelectMon(Some(2)))
            .reduce(Msg::Speed(0.5))
            .reduce(Msg::Help(true))
            .reduce(Msg::SelectLink(Some((0, 1))));
        let saved = Session::of(&s);
        let back = saved.restore(AppState::new(BUILTIN[0].1, Some(BUILTIN[0].0)));
        assert_eq!(Session::of(&back), saved);
        assert_eq!(back.stem, Some(BUILTIN[1].0));
        assert_eq!(back.t, 12 * SEC);
        assert_eq!(back.selected_mon, Some(2));
    }

    #[test]
    fn a_stored_session_with_values_out_of_range_comes_back_within_them() {
        let s = AppState::new(BUILTIN[1].1, Some(BUILTIN[1].0));
        let mut saved = Session::of(&s);
        let end = s.model.as_ref().unwrap().end;
        for (t, sel, event, link, speed, start, span) in [
            (
                u64::MAX,
                Some("nobody"),
                Some(usize::MAX),
                Some((0, 63)),
                0.0,
                u64::MAX,
                0,
            ),
            (
                end + 1,
                Some(""),
                Some(0),
                Some((63, 63)),
                1e300,
                0,
                u64::MAX,
            ),
            (
                0,
                None,
                None,
                None,
                f64::MIN_POSITIVE,
                u64::MAX / 2,
                u64::MAX,
            ),
        ] {
            saved.t = t;
            saved.sel = sel.map(str::to_string);
            saved.event = event;
            saved.link = link;
            saved.speed = speed;
            saved.win_start = start;
            saved.win_span = span;
            saved.stem = Some("not-a-builtin".into());
            let back = saved.restore(AppState::new(BUILTIN[0].1, Some(BUILTIN[0].0)));
            let n = back.model.as_ref().unwrap().names.len() as NodeId;
            assert!(back.t <= end, "{}", back.t);
            assert_eq!(back.selected_mon, None);
            assert!(back.selected_link.is_none_or(|(a, b)| a < n && b < n));
            assert!((0.0001..=100.0).contains(&back.speed));
            assert!(back.win_span >= 1 && back.stem.is_none() && !back.playing);
            assert!(back.win_start <= end && back.win_span <= end.max(3_600 * SEC));
            // And the views' moves work from there.
            let moved = back
                .reduce(Msg::Pan(1e300))
                .reduce(Msg::Follow(true))
                .reduce(Msg::Seek(u64::MAX))
                .reduce(Msg::Zoom(f64::MAX));
            assert!(moved.t <= end && moved.win_span <= 3_600 * SEC);
        }
    }
}
