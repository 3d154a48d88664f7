//! The scenario panel: the text in an editor with live errors, and the
//! expectation results.

use super::long_text::{textarea, LongText};
use super::secs;
use crate::playback::Model;
use crate::state::Msg;
use monscope_core::scenario::ParseError;
use monscope_core::trace::EventKind;
use std::rc::Rc;
use yew::prelude::*;

pub struct Props {
    /// The editor: its text is set by the page (app.rs), not by a `value`
    /// here, which yew would read back from the DOM at each render to
    /// compare (a megabyte for a one-hour scenario).
    pub editor: NodeRef,
    /// The text when it is long (`long_text::is_long`): shown by the long
    /// view instead of the textarea.
    pub long: Option<Rc<String>>,
    pub error: Option<ParseError>,
    pub model: Option<Rc<Model>>,
    /// How many expectations have been checked at the playhead.
    pub checked: usize,
    pub on: Callback<Msg>,
}

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer).
pub fn scenario_panel(p: &Props) -> Html {
    let checks: Vec<(usize, usize, monscope_core::trace::Event)> = p
        .model
        .iter()
        .flat_map(|m| {
            let trace = m.trace();
            m.expects()
                .iter()
                .enumerate()
                .filter_map(|(k, &i)| Some((k, i, trace.event(i)?)))
                .collect::<Vec<_>>()
        })
        .collect();
    let expects: Vec<Html> = checks
        .iter()
        .filter_map(|&(k, i, ref e)| match &e.kind {
            EventKind::Expect {
                line,
                text,
                pass,
                actual,
            } => {
                let future = k >= p.checked;
                let class = classes!(
                    "expect",
                    if future {
                        "future"
                    } else if *pass {
                        "pass"
                    } else {
                        "fail"
                    }
                );
                let onclick = super::pick(&p.on, i);
                let mark = if future {
                    "…"
                } else if *pass {
                    "✔"
                } else {
                    "✘"
                };
                Some(html! {
                    <li {class} data-testid="expectation" data-pass={pass.to_string()}>
                        <button class="log-line" {onclick} title={actual.to_string()}>
                            { format!("{mark} {} line {line}: {text}", secs(e.at)) }
                            if !*pass && !future {
                                <span class="actual">{ format!(" — {actual}") }</span>
                            }
                        </button>
                    </li>
                })
            }
            _ => None,
        })
        .collect();
    // The header counts what the list shows: results up to the playhead,
    // and how many are still to come.
    let (passed, failed, future) =
        checks
            .iter()
            .fold((0, 0, 0), |(a, b, c), &(k, _, ref e)| match e.kind {
                _ if k >= p.checked => (a, b, c + 1),
                EventKind::Expect { pass: true, .. } => (a + 1, b, c),
                _ => (a, b + 1, c),
            });
    let describe = p
        .model
        .as_ref()
        .map(|m| m.scenario.describe.join(" "))
        .unwrap_or_default();
    html! {
        <section class="panel scenario" aria-label="scenario">
            <h2>{ "Scenario" }</h2>
            if !describe.is_empty() {
                <p class="describe">{ describe }</p>
            }
            if let Some(text) = &p.long {
                <LongText text={text.clone()} error={p.error.clone()} on={p.on.clone()} />
            } else {
                { textarea(p.editor.clone(), None, p.error.is_some(), &p.on) }
            }
            if let Some(e) = &p.error {
                <p id="scenario-error" class="error" role="alert" data-testid="scenario-error"
                   data-line={e.line.to_string()} data-col={e.col.to_string()}>
                    { format!("line {}, column {}: {}", e.line, e.col, e.message) }
                    <br /><span class="muted">{ "The views show the last version that ran." }</span>
                </p>
            }
            <h3 data-testid="expect-summary" data-passed={passed.to_string()} data-failed={failed.to_string()} data-future={future.to_string()}>
                { format!("Expectations: {passed} passed, {failed} failed") }
                if future > 0 {
                    { format!(", {future} still to come") }
                }
            </h3>
            <ul class="expects">{ for expects }</ul>
        </section>
    }
}
