//! The header: title, the built-in scenario picker, share and help.

use monscope_core::scenario::library::BUILTIN;
use monscope_core::scenario::link::share_link;
use monscope_core::time::Time;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub stem: Option<&'static str>,
    pub title: Option<String>,
    /// What Share and Copy embed code take, read when clicked (the playhead
    /// moves every frame; the header need not re-render with it).
    pub now: Callback<(), ShareState>,
    pub on_load: Callback<usize>,
    pub on_help: Callback<()>,
    /// My scenarios (src/store/): listed after the built-in ones.
    #[prop_or_default]
    pub mine: Vec<String>,
    #[prop_or_default]
    pub on_load_mine: Callback<String>,
}

/// The scenario text, playhead and selected monitor at the moment of a click.
pub struct ShareState {
    pub text: String,
    pub t: Time,
    pub selected: Option<String>,
}

/// (stem, title) of every built-in scenario, parsed once.
fn titles() -> Rc<Vec<(&'static str, String)>> {
    thread_local! {
        static TITLES: Rc<Vec<(&'static str, String)>> = Rc::new(
            BUILTIN
                .iter()
                .map(|(stem, text)| {
                    let title = monscope_core::scenario::parse(text)
                        .ok()
                        .and_then(|s| s.title)
                        .unwrap_or_else(|| stem.to_string());
                    (*stem, title)
                })
                .collect(),
        );
    }
    TITLES.with(Rc::clone)
}

/// The playground's address: this page without its query and fragment.
pub fn playground_base() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    href.split(['#', '?']).next().unwrap_or("").to_string()
}

#[function_component(Header)]
pub fn header(p: &Props) -> Html {
    let share = use_state(|| None::<String>);
    // The iframe snippet of "Copy embed code", shown like the link.
    let embed_code = use_state(|| None::<String>);
    let titles = titles();
    let onchange = {
        let on_load = p.on_load.clone();
        let on_load_mine = p.on_load_mine.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            if let Ok(i) = v.parse::<usize>() {
                on_load.emit(i);
            } else if let Some(name) = v.strip_prefix("mine:") {
                on_load_mine.emit(name.to_string());
            }
        })
    };
    let on_share = {
        let (share, embed_code, now) = (share.clone(), embed_code.clone(), p.now.clone());
        Callback::from(move |_| {
            let s = now.emit(());
            let url = share_link(
                &playground_base(),
                &s.text,
                Some(s.t),
                s.selected.as_deref(),
            );
            embed_code.set(None);
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&url);
            }
            share.set(Some(url));
        })
    };
    let on_embed = {
        let (share, embed_code, now) = (share.clone(), embed_code.clone(), p.now.clone());
        let title = p.title.clone();
        Callback::from(move |_| {
            let s = now.emit(());
            let code =
                crate::embed::iframe_snippet(&playground_base(), &s.text, s.t, title.as_deref());
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&code);
            }
            share.set(None);
            embed_code.set(Some(code));
        })
    };
    let selected_index = p
        .stem
        .and_then(|s| BUILTIN.iter().position(|(b, _)| *b == s));
    let on_help = p.on_help.reform(|_| ());
    html! {
        <header class="top">
            <div class="brand">
                <h1>{ "monscope" }</h1>
                <p class="tagline">{ p.title.clone().unwrap_or_else(|| "Ceph's monitors, simulated in your browser".into()) }</p>
            </div>
            <label class="picker">
                <span>{ "Scenario" }</span>
                <select {onchange} data-testid="scenario-picker" aria-label="built-in scenario">
                    if selected_index.is_none() {
                        <option selected=true disabled=true>{ "(your own)" }</option>
                    }
                    { for titles.iter().enumerate().map(|(i, (stem, title))| html! {
                        <option value={i.to_string()} selected={selected_index == Some(i)} data-stem={*stem}>{ title.clone() }</option>
                    }) }
                    if !p.mine.is_empty() {
                        <optgroup label="My scenarios" data-testid="picker-mine">
                            { for p.mine.iter().map(|name| html! {
                                <option value={format!("mine:{name}")} selected=false>{ name.clone() }</option>
                            }) }
                        </optgroup>
                    }
                </select>
            </label>
            <div class="header-buttons">
                <button onclick={on_share} data-testid="share" title="Copy a link to this scenario at this time">{ "Share" }</button>
                <button onclick={on_embed} data-testid="embed-code" title="Copy an <iframe> that embeds this scenario in a web page">{ "Copy embed code" }</button>
                <button onclick={on_help} data-testid="help-button" aria-label="help (?)" title="Help and keyboard shortcuts (?)">{ "?" }</button>
                // The Explore page (static/explore.html): random fault schedules.
                <a class="explore-link" href="explore.html" target="_blank" rel="noopener" data-testid="explore-link" title="Run random fault schedules and look for broken invariants">{ "Explore ↗" }</a>
            </div>
            if let Some(code) = &*embed_code {
                <div class="share-box">
                    <label>{ "Embed code (copied): " }<input readonly=true value={code.clone()} data-testid="embed-code-text" /></label>
                </div>
            }
            if let Some(url) = &*share {
                <div class="share-box">
                    <label>{ "Link (copied): " }<input readonly=true value={url.clone()} data-testid="share-link" /></label>
                </div>
            }
        </header>
    }
}
