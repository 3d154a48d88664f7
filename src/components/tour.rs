//! The caption, and tour mode for scenarios with `note` lines: Next plays to
//! the next note and pauses there, Back seeks to the previous one. The reader
//! may leave the tour to experiment (play, act on the cluster) and return to
//! the step and the text they left.

use crate::playback::{MarkKind, Model};
use crate::state::Msg;
use monscope_core::time::Time;
use monscope_core::trace::EventKind;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
    pub t: Time,
    pub playing: bool,
    /// The latest note at the playhead (shown outside the tour).
    pub caption: Option<String>,
    /// The editor's text, restored when returning to the tour.
    pub text: String,
    pub on: Callback<Msg>,
}

/// The tour's stops: the notes, those at the same time as one.
fn stops(model: &Model) -> Vec<(Time, String)> {
    let mut out: Vec<(Time, String)> = Vec::new();
    for m in model.marks.iter().filter(|m| m.kind == MarkKind::Note) {
        let EventKind::Note { text } = &model.trace[m.ev].kind else {
            continue;
        };
        match out.last_mut() {
            Some((at, all)) if *at == m.at => {
                all.push(' ');
                all.push_str(text);
            }
            _ => out.push((m.at, text.clone())),
        }
    }
    out
}

/// Where the reader left the tour: the stop's time and the text then.
#[derive(Clone, PartialEq)]
struct Left {
    at: Time,
    text: String,
}

#[function_component(Tour)]
pub fn tour(p: &Props) -> Html {
    let active = use_state(|| false);
    let left = use_state(|| None::<Left>);
    let stops = {
        let model = p.model.clone();
        use_memo(p.model.id, move |_| stops(&model))
    };
    if stops.is_empty() {
        return caption(&p.caption);
    }
    // Stop k (1-based) is reached once the playhead is at its note; 0 is the start.
    let step = stops.partition_point(|(at, _)| *at <= p.t);
    let time_of = |k: usize| if k == 0 { 0 } else { stops[k - 1].0 };
    let go = {
        let on = p.on.clone();
        move |msgs: Vec<Msg>| {
            let on = on.clone();
            Callback::from(move |_: MouseEvent| {
                for m in &msgs {
                    on.emit(m.clone());
                }
            })
        }
    };
    if !*active {
        let start = {
            let active = active.clone();
            let left = left.clone();
            let begin = go(vec![Msg::Play(false), Msg::Seek(0)]);
            Callback::from(move |e: MouseEvent| {
                left.set(None);
                active.set(true);
                begin.emit(e);
            })
        };
        let back_to = (*left).clone().map(|l| {
            let active = active.clone();
            let mut msgs = Vec::new();
            if l.text != p.text {
                msgs.push(Msg::Edit(l.text.clone()));
            }
            msgs.extend([Msg::Play(false), Msg::Seek(l.at)]);
            let resume = go(msgs);
            Callback::from(move |e: MouseEvent| {
                active.set(true);
                resume.emit(e);
            })
        });
        return html! {
            <div class="tour-bar idle">
                { caption(&p.caption) }
                if let Some(back_to) = back_to {
                    <button onclick={back_to} data-testid="tour-return" title="back to the step you left, with the scenario as it was">{ "Return to the tour" }</button>
                }
                <button onclick={start} data-testid="tour-start" title="step through the scenario's notes">{ "Tour" }</button>
            </div>
        };
    }
    let intro = {
        let s = &p.model.scenario;
        let text = s.describe.join(" ");
        if text.is_empty() {
            "Next plays the scenario to its first note and pauses there.".to_string()
        } else {
            text
        }
    };
    let text = if step == 0 {
        intro
    } else {
        stops[step - 1].1.clone()
    };
    let next = (step < stops.len()).then(|| {
        let at = stops[step].0;
        if p.playing {
            go(vec![Msg::Play(false), Msg::Seek(at)])
        } else {
            go(vec![Msg::PlayTo(at)])
        }
    });
    let back = (step > 0).then(|| go(vec![Msg::Play(false), Msg::Seek(time_of(step - 1))]));
    let leave = {
        let active = active.clone();
        let left = left.clone();
        let here = Left {
            at: time_of(step),
            text: p.text.clone(),
        };
        Callback::from(move |_: MouseEvent| {
            left.set(Some(here.clone()));
            active.set(false);
        })
    };
    let travelling = p.playing && step < stops.len();
    html! {
        <div class="tour-bar" role="group" aria-label="tour" data-testid="tour" data-step={step.to_string()}>
            <span class="tour-step" data-testid="tour-step">{ format!("{step} / {}", stops.len()) }</span>
            <p class="caption tour-caption" data-testid="tour-caption" aria-live="polite">{ text }</p>
            <div class="tour-buttons">
                <button onclick={back} disabled={step == 0} data-testid="tour-back" aria-label="back to the previous note">{ "◀ Back" }</button>
                <button class="primary" onclick={next} disabled={step >= stops.len()} data-testid="tour-next"
                        aria-label={if travelling { "skip to the next note" } else { "play to the next note" }}>
                    { if travelling { "Skip ▶▶" } else { "Next ▶" } }
                </button>
                <button onclick={leave} data-testid="tour-leave" title="leave the tour and experiment; you can return to this step">{ "Leave tour" }</button>
            </div>
        </div>
    }
}

fn caption(text: &Option<String>) -> Html {
    match text {
        Some(c) => html! { <p class="caption" data-testid="caption">{ c.clone() }</p> },
        None => html! {},
    }
}
