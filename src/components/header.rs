//! The header: title, the built-in scenario picker, share, the theme and help.

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

const THEME_KEY: &str = "monscope-theme";

/// Sets the page's colours: an embed's `theme` parameter, else (in the
/// playground) the reader's last choice; without either, the system's
/// preference (static/monscope.css).
pub fn apply_theme(embedded: bool, theme: Option<crate::embed::Theme>) {
    let chosen = if embedded {
        theme.map(|t| {
            if t == crate::embed::Theme::Dark {
                "dark"
            } else {
                "light"
            }
            .to_string()
        })
    } else {
        crate::app::local().and_then(|l| l.get_item(THEME_KEY).ok().flatten())
    };
    if let (Some(root), Some(t)) = (gloo::utils::document().document_element(), chosen) {
        let _ = root.set_attribute("data-theme", &t);
    }
}

/// Whether the page is dark now.
fn dark() -> bool {
    let root = gloo::utils::document().document_element();
    match root.and_then(|r| r.get_attribute("data-theme")).as_deref() {
        Some(t) => t == "dark",
        None => web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches()),
    }
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
    let is_dark = use_state(dark);
    let on_theme = {
        let is_dark = is_dark.clone();
        Callback::from(move |_: MouseEvent| {
            let t = if *is_dark { "light" } else { "dark" };
            if let Some(root) = gloo::utils::document().document_element() {
                let _ = root.set_attribute("data-theme", t);
            }
            if let Some(l) = crate::app::local() {
                let _ = l.set_item(THEME_KEY, t);
            }
            is_dark.set(!*is_dark);
        })
    };
    html! {
        <header class="top">
            <div class="brand">
                <h1>{ "monscope" }</h1>
                <p class="tagline">{ p.title.clone().unwrap_or_else(|| "Ceph's monitors, simulated in your browser".into()) }</p>
            </div>
            <label class="picker">
                <span class="wide">{ "Scenario" }</span>
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
                <button class="wide" onclick={on_embed} data-testid="embed-code" title="Copy an <iframe> that embeds this scenario in a web page">{ "Copy embed code" }</button>
                <button onclick={on_theme} data-testid="theme" aria-pressed={is_dark.to_string()} aria-label="dark theme"
                        title={if *is_dark { "Switch to the light theme" } else { "Switch to the dark theme" }}>{ "◐" }</button>
                <button onclick={on_help} data-testid="help-button" aria-label="help (?)" title="Help and keyboard shortcuts (?)">{ "?" }</button>
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
