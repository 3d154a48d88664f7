//! Embed mode's page (`?embed=1`): the cluster view, the current note, a slim
//! timeline with play/pause/step, and an "open in playground" link. It plays
//! only while it is in view and its page is visible, and talks to its host
//! page through `embed_api`.

use super::cluster::{cluster_view, Props as ClusterProps};
use super::{header::playground_base, note_html, secs};
use crate::app::Frame;
use crate::effect::{self, use_effect_on};
use crate::embed::{EmbedParams, Summary};
use crate::embed_api::{self, Command, Event};
use crate::playback::{MarkKind, Model};
use crate::state::Msg;
use gloo::events::EventListener;
use monscope_core::fixed::Fixed;
use monscope_core::scenario::link::share_link;
use monscope_core::time::{format_secs, Time};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlInputElement, IntersectionObserver, IntersectionObserverInit};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub params: Rc<EmbedParams>,
    pub model: Rc<Model>,
    pub frame: Rc<Frame>,
    pub t: Time,
    pub playing: bool,
    pub speed: f64,
    pub caption: Option<String>,
    pub reduced_motion: bool,
    /// Protocols not drawn (the filter under the ring).
    pub hidden: u8,
    pub on: Callback<Msg>,
}

/// Whether the embed may play, and whether it should once it may.
struct Gate {
    in_view: bool,
    page_visible: bool,
    /// Play as soon as visible (autoplay, a host's `play`, or paused by hiding).
    want_play: bool,
    /// The playhead and play state of the last render.
    t: Time,
    playing: bool,
    until: Option<Time>,
    on: Callback<Msg>,
}

impl Gate {
    fn visible(&self) -> bool {
        self.in_view && self.page_visible
    }

    /// Play, stopping at `until` when the playhead is before it.
    fn play(&self) -> Msg {
        match self.until {
            Some(u) if self.t < u => Msg::PlayTo(u),
            _ => Msg::Play(true),
        }
    }

    /// Whether to start or pause after a visibility change or a host's command.
    fn settle(&mut self) -> Option<Msg> {
        if self.visible() && self.want_play && !self.playing {
            self.want_play = false;
            Some(self.play())
        } else if !self.visible() && self.playing {
            self.want_play = true;
            Some(Msg::Play(false))
        } else {
            None
        }
    }
}

/// Changes the gate, then sends what it asks for once it is no longer borrowed
/// (sending may render, and rendering reads the gate).
fn with_gate(gate: &RefCell<Gate>, change: impl FnOnce(&mut Gate) -> Option<Msg>) {
    let (msg, on) = {
        let mut g = gate.borrow_mut();
        (change(&mut g), g.on.clone())
    };
    if let Some(msg) = msg {
        on.emit(msg);
    }
}

fn page_visible() -> bool {
    !gloo::utils::document().hidden()
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

#[function_component(Embed)]
pub fn embed(p: &Props) -> Html {
    let root = use_node_ref();
    let in_view = use_state(bool::default);
    let gate = use_mut_ref(|| Gate {
        in_view: false,
        page_visible: page_visible(),
        // Under reduced motion nothing plays by itself.
        want_play: p.params.autoplay && !p.reduced_motion,
        t: p.t,
        playing: p.playing,
        until: p.params.until,
        on: p.on.clone(),
    });
    {
        let mut g = gate.borrow_mut();
        g.t = p.t;
        g.playing = p.playing;
        g.on = p.on.clone();
    }

    // Set up once (one effect for the three: each effect is generic code of
    // its own in the wasm).
    {
        let gate = gate.clone();
        let in_view = in_view.clone();
        let root = root.clone();
        use_effect_on((), move |_| {
            // Scrolled into view / out of view: the implicit root of an
            // observer in a frame is the top-level page's viewport.
            let callback = {
                let gate = gate.clone();
                Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
                    if let Some(entry) = entries
                        .iter()
                        .last()
                        .and_then(|e| e.dyn_into::<web_sys::IntersectionObserverEntry>().ok())
                    {
                        let seen = entry.is_intersecting() && entry.intersection_ratio() >= 0.25;
                        with_gate(&gate, |g| {
                            g.in_view = seen;
                            g.settle()
                        });
                        in_view.set(seen);
                    }
                })
            };
            let options = IntersectionObserverInit::new();
            let thresholds = js_sys::Array::of2(&JsValue::from(0.0), &JsValue::from(0.25));
            options.set_threshold(&thresholds);
            let observer =
                IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &options)
                    .ok();
            if let (Some(o), Some(el)) = (&observer, root.cast::<web_sys::Element>()) {
                o.observe(&el);
            }
            // Another tab, a minimised window: pause, resume when back.
            let visibility = {
                let gate = gate.clone();
                EventListener::new(&gloo::utils::document(), "visibilitychange", move |_| {
                    with_gate(&gate, |g| {
                        g.page_visible = page_visible();
                        g.settle()
                    });
                })
            };
            // The host's commands.
            let window = gloo::utils::window();
            let listener = EventListener::new(&window, "message", move |e| {
                let Some(e) = e.dyn_ref::<web_sys::MessageEvent>() else {
                    return;
                };
                let from_host = match (e.source(), gloo::utils::window().parent()) {
                    (Some(src), Ok(Some(parent))) => JsValue::from(src) == JsValue::from(parent),
                    _ => false,
                };
                if !from_host {
                    embed_api::warn("ignored a message that did not come from the host page");
                    return;
                }
                let command = match embed_api::command(e.data()) {
                    Ok(c) => c,
                    Err(why) => {
                        embed_api::warn(&format!("ignored a message: {why}"));
                        return;
                    }
                };
                with_gate(&gate, |g| match command {
                    Command::Play => {
                        g.want_play = true;
                        g.settle()
                    }
                    Command::Pause => {
                        g.want_play = false;
                        Some(Msg::Play(false))
                    }
                    Command::Seek(t) => Some(Msg::Seek(t)),
                    Command::Load(text, t) => match monscope_core::scenario::parse(&text) {
                        Ok(_) => Some(Msg::LoadText(text, t, None)),
                        Err(e) => {
                            embed_api::post(&Event::Error {
                                message: format!(
                                    "line {}, column {}: {}",
                                    e.line, e.col, e.message
                                ),
                            });
                            None
                        }
                    },
                });
            });
            // Removed in the order they were added.
            Box::new(move || {
                if let Some(o) = observer {
                    o.disconnect();
                }
                drop(callback);
                drop(visibility);
                drop(listener);
            })
        });
    }

    // What the host hears: ready first, then time, note and state changes.
    {
        let title = p.model.scenario.title.clone();
        let end = p.model.end;
        use_effect_on(p.model.id, move |_| {
            embed_api::post(&Event::Ready {
                title,
                end: embed_api::secs(end),
            });
            effect::nothing()
        });
    }
    {
        let last = use_mut_ref(|| f64::NEG_INFINITY);
        use_effect_on((p.t, p.playing), move |&(t, playing)| {
            let now = now_ms();
            if !playing || now - *last.borrow() >= 100.0 {
                *last.borrow_mut() = now;
                embed_api::post(&Event::Time {
                    t: embed_api::secs(t),
                    playing,
                });
            }
            effect::nothing()
        });
    }
    use_effect_on(p.caption.clone(), |text| {
        embed_api::post(&Event::Note { text: text.clone() });
        effect::nothing()
    });
    let summary = Summary::of(&p.model.names, &p.frame.statuses);
    use_effect_on(summary.clone(), |s| {
        embed_api::post(&Event::State {
            leader: s.leader.clone(),
            quorum: s.quorum.clone(),
            epoch: s.epoch,
            mons: s.mons.clone(),
        });
        effect::nothing()
    });

    let links = super::cluster::use_links(Some(&p.model), Some(&p.frame), None, &p.on);
    let canvas = super::message_canvas::use_message_canvas(&p.on);
    let base_link = {
        let text = (*p.model.text).clone();
        use_memo(p.model.id, move |_| {
            share_link(&playground_base(), &text, None, None)
        })
    };
    let open_href = format!("{base_link}&t={}", format_secs(p.t));

    let on = p.on.clone();
    let send = |m: Msg| super::click(&on, m);
    let on_play = {
        let gate = gate.clone();
        let on = p.on.clone();
        let playing = p.playing;
        Callback::from(move |_: MouseEvent| {
            let msg = if playing {
                Msg::Play(false)
            } else {
                gate.borrow().play()
            };
            on.emit(msg);
        })
    };
    let oninput = p.on.reform(|e: InputEvent| {
        let v = e.target_unchecked_into::<HtmlInputElement>().value();
        Msg::Seek(super::number(&v).map_or(0, |v| v.max(0.0) as Time))
    });
    let end = p.model.end.max(1);
    let marks = p.model.marks();
    let ticks = marks.iter().filter(|m| m.kind == MarkKind::Note).map(|m| {
        let left = format!("left: {}%", Fixed(m.at as f64 * 100.0 / end as f64, 3));
        html! { <span class="embed-tick" style={left}></span> }
    });
    // Before the first note, the bar says what comes next and when, so a
    // reader knows what to wait for.
    let note = match &p.caption {
        Some(c) => note_html(c),
        None => marks
            .iter()
            .find(|m| m.kind == MarkKind::Note)
            .and_then(|m| match &p.model.trace().get(m.ev)?.kind {
                monscope_core::trace::EventKind::Note { text } => Some(html! {
                    <span class="next-note" data-testid="embed-next-note">
                        { format!("Next, at {}: ", secs(m.at)) }{ note_html(text) }
                    </span>
                }),
                _ => None,
            })
            .unwrap_or_else(|| html! { { "\u{a0}" } }),
    };
    let title = p.model.scenario.title.clone().unwrap_or_default();
    html! {
        <div ref={root} class="embed" data-testid="embed"
             data-visible={(*in_view).to_string()} data-playing={p.playing.to_string()}>
            <div class="embed-top">
                <span class="embed-title">{ title }</span>
                <a class="embed-open" href={open_href} target="_blank" rel="noopener"
                   data-testid="open-playground">{ "Open in playground ↗" }</a>
            </div>
            <div class="embed-stage">
                { cluster_view(&ClusterProps {
                    model: p.model.clone(),
                    frame: p.frame.clone(),
                    t: p.t,
                    speed: p.speed,
                    selected_mon: None,
                    selected_event: None,
                    reduced_motion: p.reduced_motion,
                    hidden: p.hidden,
                    overlay: false,
                    links: links.clone(),
                    canvas: canvas.clone(),
                    on_select: p.on.clone(),
                }) }
            </div>
            <p class="caption embed-note" data-testid="embed-note" aria-live="polite">
                { note }
            </p>
            if p.params.controls {
                <div class="embed-controls" role="group" aria-label="playback">
                    { super::named_button(send(Msg::StepPrev), false, "embed-step-prev", "", "previous event", "◀") }
                    <button class="play" onclick={on_play} aria-label={if p.playing { "Pause" } else { "Play" }} data-testid="embed-play">
                        { if p.playing { "❚❚" } else { "▶" } }
                    </button>
                    { super::named_button(send(Msg::StepNext), false, "embed-step-next", "", "next event", "▶|") }
                    <div class="embed-timeline">
                        <div class="embed-ticks" aria-hidden="true">{ for ticks }</div>
                        <input type="range" min="0" max={p.model.end.to_string()} step="1000"
                               value={p.t.to_string()} {oninput} aria-label="playhead"
                               aria-valuetext={secs(p.t)} data-testid="embed-scrubber" />
                    </div>
                    <output class="clock" data-testid="embed-clock" data-t={p.t.to_string()}>{ secs(p.t) }</output>
                </div>
            } else {
                <output class="sr-only" data-testid="embed-clock" data-t={p.t.to_string()}>{ secs(p.t) }</output>
            }
        </div>
    }
}
