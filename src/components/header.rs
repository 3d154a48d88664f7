//! The header: title, the built-in scenario picker, share, the theme and help.

use crate::builtins;
use monscope_core::scenario::link::share_link;
use monscope_core::time::Time;
use yew::prelude::*;

pub struct Props<'a> {
    pub stem: Option<&'static str>,
    pub title: Option<&'a str>,
    /// What Share and Copy embed code take, read when clicked.
    pub now: &'a Callback<(), ShareState>,
    pub on_load: &'a Callback<usize>,
    /// The select, whose value app.rs sets from the state.
    pub picker: &'a NodeRef,
    /// My scenarios (src/store/): listed after the built-in ones.
    pub mine: &'a [(String, String)],
    pub on_load_mine: &'a Callback<String>,
    /// The link or embed code last copied (true: embed code).
    pub shared: Option<&'a (bool, String)>,
    /// The page is dark.
    pub dark: bool,
    pub on: &'a Callback<crate::state::Msg>,
}

/// The scenario text, playhead and selected monitor at the moment of a click.
pub struct ShareState {
    pub text: String,
    pub t: Time,
    pub selected: Option<String>,
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
pub fn dark() -> bool {
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

/// The link (or with `embed`, the embed code) of `s`: in the lazy module
/// with the share link's DEFLATE encoder, which no first view runs.
#[inline(never)]
pub fn shared_text(embed: bool, s: &ShareState, title: Option<&str>) -> String {
    let base = playground_base();
    if embed {
        crate::embed::iframe_snippet(&base, &s.text, s.t, title)
    } else {
        share_link(&base, &s.text, Some(s.t), s.selected.as_deref())
    }
}

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer).
pub fn header(p: &Props) -> Html {
    use crate::state::Msg;
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
    // Share and Copy embed code: the link or the iframe, into the clipboard
    // and shown, once the lazy module that writes them is in (src/lazy.rs; a
    // failed load is left to the call, which says so).
    let copy = |embed: bool| {
        let (now, on) = (p.now.clone(), p.on.clone());
        let title = p.title.map(str::to_string);
        Callback::from(move |_: MouseEvent| {
            let (s, on, title) = (now.emit(()), on.clone(), title.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = crate::lazy::load().await;
                let text = shared_text(embed, &s, title.as_deref());
                if let Some(w) = web_sys::window() {
                    let _ = w.navigator().clipboard().write_text(&text);
                }
                on.emit(Msg::Shared(Some((embed, text))));
            });
        })
    };
    let selected_index = p.stem.and_then(builtins::index);
    let on_help = super::click(p.on, Msg::Help(true));
    let dark = p.dark;
    let on_theme = p.on.reform(move |_: MouseEvent| {
        let t = if dark { "light" } else { "dark" };
        if let Some(root) = gloo::utils::document().document_element() {
            let _ = root.set_attribute("data-theme", t);
        }
        if let Some(l) = crate::app::local() {
            let _ = l.set_item(THEME_KEY, t);
        }
        Msg::Dark(!dark)
    });
    html! {
        <header class="top">
            <div class="brand">
                <h1>{ "monscope" }</h1>
                <p class="tagline">{ p.title.unwrap_or("Ceph's monitors, simulated in your browser") }</p>
            </div>
            <label class="picker">
                <span class="wide">{ "Scenario" }</span>
                <select ref={p.picker.clone()} {onchange} data-testid="scenario-picker" aria-label="built-in scenario">
                    if selected_index.is_none() {
                        <option selected=true disabled=true>{ "(your own)" }</option>
                    }
                    { for builtins::stems().enumerate().map(|(i, stem)| html! {
                        <option value={i.to_string()} selected={selected_index == Some(i)} data-stem={stem}>{ builtins::title(i) }</option>
                    }) }
                    if !p.mine.is_empty() {
                        <optgroup label="My scenarios" data-testid="picker-mine">
                            { for p.mine.iter().map(|(name, _)| html! {
                                <option value={format!("mine:{name}")} selected=false>{ name.clone() }</option>
                            }) }
                        </optgroup>
                    }
                </select>
            </label>
            <div class="header-buttons">
                { super::button(copy(false), false, "share", "Copy a link to this scenario at this time", "Share") }
                <button class="wide" onclick={copy(true)} data-testid="embed-code" title="Copy an <iframe> that embeds this scenario in a web page">{ "Copy embed code" }</button>
                <button onclick={on_theme} data-testid="theme" aria-pressed={dark.to_string()} aria-label="dark theme"
                        title={if dark { "Switch to the light theme" } else { "Switch to the dark theme" }}>{ "◐" }</button>
                { super::named_button(on_help, false, "help-button", "Help and keyboard shortcuts (?)", "help (?)", "?") }
                // The Explore page (static/explore.html): random fault schedules.
                <a class="explore-link" href="explore.html" target="_blank" rel="noopener" data-testid="explore-link" title="Run random fault schedules and look for broken invariants">{ "Explore ↗" }</a>
            </div>
            if let Some((embed, text)) = p.shared {
                <div class="share-box">
                    <label>
                        { if *embed { "Embed code (copied): " } else { "Link (copied): " } }
                        <input readonly=true value={text.clone()} data-testid={if *embed { "embed-code-text" } else { "share-link" }} />
                    </label>
                </div>
            }
        </header>
    }
}
