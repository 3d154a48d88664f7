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
}
