//! Playback controls: play/pause, step, the scrubber, speed.

use super::secs;
use crate::state::{Msg, SPEEDS};
use monscope_core::fixed::Fixed;
use monscope_core::time::Time;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

pub struct Props {
    pub t: Time,
    pub end: Time,
    /// How far the run has been simulated (`end` once it all has).
    pub ready: Time,
    pub playing: bool,
    pub speed: f64,
    pub skip_quiet: bool,
    pub on: Callback<Msg>,
}

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer).
pub fn controls(p: &Props) -> Html {
    let send = |m: Msg| super::click(&p.on, m);
    let oninput = p.on.reform(|e: InputEvent| {
        let v = e.target_unchecked_into::<HtmlInputElement>().value();
        Msg::Seek(super::number(&v).map_or(0, |v| v.max(0.0) as Time))
    });
    let on_speed = p.on.reform(|e: Event| {
        let v = e.target_unchecked_into::<HtmlSelectElement>().value();
        Msg::Speed(super::number(&v).unwrap_or(crate::state::DEFAULT_SPEED))
    });
    let on_skip = super::change(&p.on, Msg::SkipQuiet(!p.skip_quiet));
    let play_label = if p.playing { "Pause" } else { "Play" };
    // While the run is being simulated, a line under the scrubber fills up
    // to where it has got: the playhead can go that far.
    let filling = p.ready < p.end;
    let fill = format!(
        "width:{}%",
        Fixed(p.ready as f64 * 100.0 / p.end.max(1) as f64, 2)
    );
    html! {
        <div class="controls" role="group" aria-label="playback">
            { super::named_button(send(Msg::Seek(0)), false, "to-start", "back to the start", "back to the start", "|◀◀") }
            { super::named_button(send(Msg::StepPrev), false, "step-prev", "previous event (←)", "previous event", "◀") }
            <button class="play" onclick={send(Msg::TogglePlay)} title="play / pause (space)" aria-label={play_label} data-testid="play">
                { if p.playing { "❚❚" } else { "▶" } }
            </button>
            { super::named_button(send(Msg::StepNext), false, "step-next", "next event (→)", "next event", "▶|") }
            <span class="scrub">
                <input type="range" class={classes!("scrubber", filling.then_some("filling"))} min="0" max={p.end.to_string()} step="1000"
                       value={p.t.to_string()} {oninput} aria-label="playhead" aria-valuetext={secs(p.t)}
                       title={filling.then(|| format!("simulated to {} so far", secs(p.ready)))}
                       data-testid="scrubber" data-ready={p.ready.to_string()} />
                if filling {
                    <span class="ready-bar" style={fill} data-testid="ready-bar"></span>
                }
            </span>
            <output class="clock" data-testid="clock" data-t={p.t.to_string()}>{ secs(p.t) }<span class="end">{ format!(" / {}", secs(p.end)) }</span></output>
            <label class="inline">
                <span class="wide">{ "speed " }</span>
                <select onchange={on_speed} data-testid="speed" aria-label="speed">
                    { for SPEEDS.iter().map(|(v, text, label)| html! {
                        <option value={*text} selected={(*v - p.speed).abs() < 1e-9}>{ *label }</option>
                    }) }
                </select>
            </label>
            <label class="inline" title="while only pings, lease renewals and time checks are in the air, time runs at least at 4×">
                <input type="checkbox" checked={p.skip_quiet} onchange={on_skip} data-testid="skip-quiet" />
                { " hurry" }<span class="wide">{ " quiet times" }</span>
            </label>
        </div>
    }
}
