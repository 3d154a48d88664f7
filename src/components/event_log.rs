//! The event log: the trace up to the playhead, in words, newest first.

use crate::playback::Model;
use crate::row_keys::RowKeys;
use crate::state::Msg;
use monscope_core::trace::format::describe;
use monscope_core::trace::EventKind;
use std::rc::Rc;
use yew::prelude::*;

/// What the log shows: it is drawn again only when one of these changes
/// (`use_memo` in the app), five times a second while playing.
#[derive(PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
    /// Events `..upto` have happened.
    pub upto: usize,
    pub selected: Option<usize>,
    /// Timers are listed too.
    pub timers: bool,
    pub on: Callback<Msg>,
}

/// How many lines the log shows.
const SHOWN: usize = 60;

fn kind_class(k: &EventKind) -> &'static str {
    match k {
        EventKind::Send { .. } | EventKind::Deliver { .. } => "ev-msg",
        EventKind::Drop { .. } => "ev-drop",
        EventKind::Hold { .. } => "ev-hold",
        EventKind::TimerSet { .. }
        | EventKind::TimerCancel { .. }
        | EventKind::TimerFire { .. } => "ev-timer",
        EventKind::Status { .. } => "ev-status",
        EventKind::Expect { pass: true, .. } => "ev-pass",
        EventKind::Expect { pass: false, .. } | EventKind::Violation { .. } => "ev-fail",
        EventKind::Action { .. } | EventKind::Note { .. } => "ev-action",
        _ => "ev-other",
    }
}

thread_local! {
    /// The rows' keys (`RowKeys` says why).
    static KEYS: std::cell::RefCell<RowKeys> = std::cell::RefCell::default();
}

pub fn event_log(p: &Props) -> Html {
    let show_timers = p.timers;
    let toggle = super::change(&p.on, Msg::Timers(!show_timers));
    let trace = p.model.trace();
    let upto = p.upto.min(trace.len());
    let rows: Vec<_> = trace
        .range(0, upto)
        .enumerate()
        .rev()
        .filter(|(_, e)| {
            show_timers
                || !matches!(
                    e.kind,
                    EventKind::TimerSet { .. }
                        | EventKind::TimerCancel { .. }
                        | EventKind::TimerFire { .. }
                )
        })
        .take(SHOWN)
        .collect();
    let keys = KEYS.with_borrow_mut(|k| k.keys(rows.iter().map(|(i, _)| *i)));
    let lines = rows.iter().zip(keys).map(|((i, e), key)| {
        let onclick = super::pick(&p.on, *i);
        let selected = p.selected == Some(*i);
        html! {
            <li {key} class={classes!(kind_class(&e.kind), selected.then_some("selected"))}>
                <button class="log-line" {onclick}>{ describe(e, &p.model.names) }</button>
            </li>
        }
    });
    html! {
        <section class="panel event-log" aria-label="event log">
            <div class="log-bar">
                <h2>{ "Events" }</h2>
                <span class="muted">{ format!("{upto} of {}", trace.len()) }</span>
                <label class="inline"><input type="checkbox" checked={show_timers} onchange={toggle} />{ " timers" }</label>
            </div>
            <ol class="log" data-testid="event-log" reversed=true>{ for lines }</ol>
        </section>
    }
}
