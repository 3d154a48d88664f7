//! The caption, and tour mode for scenarios with `note` lines: Next travels
//! to the next note (within a few seconds, slowing before it) and pauses
//! there, Back seeks to the previous one. The reader may leave the tour to
//! experiment (play, act on the cluster) and return to the step and the text
//! they left; acting while in the tour is leaving its script, and the tour
//! says so. A first visit is offered the tour once. The tour's state is the
//! reducer's (`AppState::tour`).

use super::note_html;
use crate::playback::Model;
use crate::state::Msg;
use monscope_core::time::Time;
use yew::prelude::*;

pub struct Props<'a> {
    pub model: &'a Model,
    pub t: Time,
    pub playing: bool,
    /// The latest note at the playhead (shown outside the tour).
    pub caption: Option<&'a str>,
    /// The editor's text.
    pub text: &'a str,
    /// The tour's script while it is on; where it was left.
    pub tour: Option<&'a str>,
    pub left: bool,
    /// Offer the tour (a first visit).
    pub offer: bool,
    pub on: &'a Callback<Msg>,
}

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer).
pub fn tour(p: &Props) -> Html {
    let stops = &p.model.stops;
    if stops.is_empty() {
        return caption(p.caption);
    }
    // Stop k (1-based) is reached once the playhead is at its note; 0 is the start.
    let step = stops.partition_point(|(at, _)| *at <= p.t);
    let time_of = |k: usize| if k == 0 { 0 } else { stops[k - 1].0 };
    let go = |msg: Msg| super::click(p.on, msg);
    let Some(script) = p.tour else {
        return html! {
            <div class={classes!("tour-bar", "idle", p.offer.then_some("offer"))}>
                { caption(p.caption) }
                if p.offer {
                    <span class="offer-text" data-testid="tour-offer">{ "New here?" }<span class="wide">{ " This scenario has a guided tour." }</span></span>
                }
                if p.left {
                    { super::button(go(Msg::TourReturn), false, "tour-return", "back to the step you left, with the scenario as it was", "Return to the tour") }
                }
                <button class={classes!(p.offer.then_some("primary"))} onclick={go(Msg::TourStart)} data-testid="tour-start" title="step through the scenario's notes">
                    { if p.offer { "Take the tour" } else { "Tour" } }
                </button>
                if p.offer {
                    <button class="link-button" onclick={go(Msg::TourOffered)}
                            aria-label="no thanks" title="no thanks" data-testid="tour-offer-dismiss">{ "✕" }</button>
                }
            </div>
        };
    };
    let text = match step {
        0 => {
            let d = p.model.scenario.describe.join(" ");
            if d.is_empty() {
                "Next plays the scenario to its first note and pauses there.".to_string()
            } else {
                d
            }
        }
        k => stops[k - 1].1.clone(),
    };
    let next = match (step < stops.len(), p.playing) {
        (false, _) => None,
        // Travelling: Skip jumps there.
        (true, true) => Some(go(Msg::PauseAt(stops[step].0))),
        (true, false) => Some(go(Msg::TravelTo(stops[step].0))),
    };
    // (Disabled at the start, where it would go nowhere.)
    let back = go(Msg::PauseAt(time_of(step.saturating_sub(1))));
    // Acting on the cluster or editing changed the run: the notes no longer
    // tell what is shown.
    let off_script = p.text != script;
    let travelling = p.playing && step < stops.len();
    html! {
        <div class={classes!("tour-bar", off_script.then_some("off-script"))} role="group" aria-label="tour"
             data-testid="tour" data-step={step.to_string()} data-off-script={off_script.to_string()}>
            <span class="tour-step" data-testid="tour-step">{ format!("{step} / {}", stops.len()) }</span>
            <div class="caption tour-caption">
                if off_script {
                    <p class="off-script-note" data-testid="tour-off-script">
                        { "You have left the tour's script: the scenario was changed, so this note may no longer describe what you see." }
                    </p>
                }
                <p data-testid="tour-caption">{ note_html(&text) }</p>
            </div>
            <div class="tour-buttons">
                if off_script {
                    { super::button(go(Msg::TourRescript(time_of(step))), false, "tour-rescript", "put the tour's scenario back, at this step", "Back to the script") }
                }
                { super::named_button(back, step == 0, "tour-back", "", "back to the previous note", "◀ Back") }
                <button class="primary" onclick={next} disabled={step >= stops.len()} data-testid="tour-next"
                        aria-label={if travelling { "skip to the next note" } else { "play to the next note" }}>
                    { if travelling { "Skip ▶▶" } else { "Next ▶" } }
                </button>
                { super::button(go(Msg::TourLeave(time_of(step))), false, "tour-leave", "leave the tour and experiment; you can return to this step", "Leave tour") }
            </div>
        </div>
    }
}

fn caption(text: Option<&str>) -> Html {
    match text {
        Some(c) => html! { <p class="caption" data-testid="caption">{ note_html(c) }</p> },
        None => html! {},
    }
}
