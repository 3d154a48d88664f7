//! The inspector: the selected monitor's state machines and store.

use crate::inspect::MonDetail;
use crate::state::Msg;
use monscope_core::fixed::Fixed;
use monscope_core::trace::NodeId;
use std::rc::Rc;
use yew::prelude::*;

/// What the inspector shows: it is drawn again only when one of these
/// changes (`use_memo` in the app), not every frame.
#[derive(PartialEq)]
pub struct Props {
    pub detail: Option<Rc<MonDetail>>,
    pub names: Vec<String>,
    pub selected: Option<NodeId>,
    /// Why the selected monitor is not in the cluster at the playhead.
    pub absent: Option<String>,
    pub on: Callback<Msg>,
}

pub fn inspector(p: &Props) -> Html {
    let mons = p.names.len().saturating_sub(1);
    let tabs = p.names.iter().take(mons).enumerate().map(|(i, name)| {
        let node = i as NodeId;
        let selected = p.selected == Some(node);
        let onclick = super::click(&p.on, Msg::SelectMon(Some(node)));
        html! {
            <button class={classes!("tab", selected.then_some("selected"))} {onclick}
                    aria-pressed={selected.to_string()} data-testid={format!("inspect-{name}")}>{ name.clone() }</button>
        }
    });
    let body = match &p.detail {
        None => {
            html! { <p class="hint">{ "Select a monitor to inspect its elector, paxos and store." }</p> }
        }
        Some(d) => body(d, p.absent.as_deref()),
    };
    html! {
        <section class="panel inspector" aria-label="inspector" data-testid="inspector">
            <h2>{ "Inspector" }</h2>
            <div class="tabs" role="group" aria-label="monitor to inspect">{ for tabs }</div>
            { body }
        </section>
    }
}

/// A monitor's reading drawn: only once the lazy module has read it
/// (app.rs, inspect.rs), so it is in the lazy module too (src/lazy.rs).
#[inline(never)]
pub fn body(d: &MonDetail, absent: Option<&str>) -> Html {
    html! {
        <div data-testid="inspector-body" data-mon={d.name.clone()}>
            if d.from_logs {
                <p class="hint" data-testid="inspector-from-logs">{ format!("From mon.{}'s log (imported): what its log lines say at the playhead. The logs do not show its store or state machines.", d.name) }</p>
            } else if let Some(why) = absent {
                <p class="hint" data-testid="inspector-absent">{ why }</p>
            } else if !d.running {
                <p class="hint">{ format!("mon.{} is not running: only its store survives.", d.name) }</p>
            }
            // A monitor outside the cluster has no state machines to show.
            { for d.sections.iter().filter(|_| absent.is_none()).map(|s| html! {
                <section class="insp-section" data-section={s.title.clone()}>
                    <h3>{ s.title.clone() }</h3>
                    <dl>
                        { for s.rows.iter().map(|(k, v)| {
                            // Scores sum over the peers: at most one per other monitor.
                            let bar = (s.title == "connectivity scores").then(|| {
                                let full = s.rows.len().saturating_sub(1).max(1) as f64;
                                let w = super::number(v).unwrap_or(0.0) / full * 100.0;
                                html! { <span class="score-bar" aria-hidden="true"><span style={format!("width:{}%", Fixed(monscope_core::fixed::clamp(w, 0.0, 100.0), 0))}></span></span> }
                            });
                            html! {
                                <><dt>{ k.clone() }</dt><dd data-field={format!("{}.{}", s.title, k)}>{ v.clone() }{ bar }</dd></>
                            }
                        }) }
                    </dl>
                </section>
            }) }
            if !d.from_logs {
            <section class="insp-section store" data-testid="store">
                <h3>{ "store" }</h3>
                if d.store.is_empty() {
                    <p class="hint">{ "empty" }</p>
                }
                { for d.store.iter().map(|(prefix, rows)| html! {
                    <details open={prefix != "paxos" || rows.len() < 12} data-prefix={prefix.clone()}>
                        <summary>{ format!("{prefix} ({} keys)", rows.len()) }</summary>
                        <dl>
                            { for rows.iter().map(|(k, v)| html! {
                                <><dt>{ k.clone() }</dt><dd data-key={format!("{prefix}/{k}")}>{ v.clone() }</dd></>
                            }) }
                        </dl>
                    </details>
                }) }
            </section>
            }
        </div>
    }
}
