//! The page's panels, one job each.

pub mod actions;
pub mod arrow_canvas;
pub mod cluster;
pub mod controls;
pub mod details;
pub mod event_log;
pub mod export;
pub mod header;
pub mod help;
pub mod inspector;
pub mod long_text;
pub mod message_canvas;
pub mod my_scenarios;
pub mod real_band;
pub mod scenario;
pub mod storage_notice;
pub mod timeline;
// Share, embed and tour (issue 4).
pub mod embed;
pub mod error_panel;
pub mod tour;

/// A click that sends `msg`. Every button with a fixed message goes through
/// this one closure type: each closure is generic code of its own in the
/// wasm (its call, drop and `Rc`), about 100 bytes of the transfer apiece.
pub fn click(
    on: &yew::Callback<crate::state::Msg>,
    msg: crate::state::Msg,
) -> yew::Callback<web_sys::MouseEvent> {
    let on = on.clone();
    yew::Callback::from(move |_: web_sys::MouseEvent| on.emit(msg.clone()))
}

/// A button that acts, with its test id, tooltip (none: "") and words: the
/// many buttons of one shape share this one copy of the element's code
/// (each element written with `html!` is code of its own in the wasm).
pub fn button(
    onclick: yew::Callback<web_sys::MouseEvent>,
    disabled: bool,
    testid: &'static str,
    title: &'static str,
    label: &'static str,
) -> yew::Html {
    let title = (!title.is_empty()).then_some(title);
    yew::html! { <button {onclick} {disabled} data-testid={testid} {title}>{ label }</button> }
}

/// A button named for screen readers (`aria-label`: its words are a
/// symbol), with its test id and tooltip (none: ""), as [`button`].
pub fn named_button(
    onclick: yew::Callback<web_sys::MouseEvent>,
    disabled: bool,
    testid: &'static str,
    title: &'static str,
    name: &'static str,
    label: &'static str,
) -> yew::Html {
    let title = (!title.is_empty()).then_some(title);
    yew::html! {
        <button {onclick} {disabled} data-testid={testid} {title} aria-label={name}>{ label }</button>
    }
}

/// A checkbox's change that sends `msg` (its new state, known when the
/// box was drawn), one closure type for all, as [`click`].
pub fn change(
    on: &yew::Callback<crate::state::Msg>,
    msg: crate::state::Msg,
) -> yew::Callback<web_sys::Event> {
    let on = on.clone();
    yew::Callback::from(move |_: web_sys::Event| on.emit(msg.clone()))
}

/// A click on a button that only closes or dismisses, one closure type for
/// all, as [`click`].
pub fn close(on: &yew::Callback<()>) -> yew::Callback<web_sys::MouseEvent> {
    on.reform(|_: web_sys::MouseEvent| ())
}

/// A click that picks event `i` (the event log's and the expectations' rows:
/// one closure type for both), where the pointer is.
pub fn pick(on: &yew::Callback<crate::state::Msg>, i: usize) -> yew::Callback<web_sys::MouseEvent> {
    on.reform(move |e: web_sys::MouseEvent| crate::state::Msg::Pick(i, e.page_x(), e.page_y()))
}

/// Seconds with millisecond precision, for labels: `12.345 s`.
pub fn secs(t: u64) -> String {
    format!("{}.{:03} s", t / 1_000_000, (t / 1_000) % 1_000)
}

/// The CSS class of a message's protocol (`Message::protocol`), without a
/// `format!` per message per frame.
pub fn protocol_class(protocol: &str) -> &'static str {
    match protocol {
        "probe" => "p-probe",
        "election" => "p-election",
        "ping" => "p-ping",
        "paxos" => "p-paxos",
        "sync" => "p-sync",
        "timecheck" => "p-timecheck",
        _ => "p-client",
    }
}

/// The number at the start of `text` as the browser reads it (`parseFloat`),
/// `None` if there is none: `str::parse::<f64>` would link a 10 kB table of
/// powers of five into the page (docs/performance.md, "Transfer").
pub fn number(text: &str) -> Option<f64> {
    let n = js_sys::Number::parse_float(text);
    (!n.is_nan()).then_some(n)
}

/// `n` as the browser writes it (`String(n)`: `1e+21`, `Infinity`), for
/// numbers that come from the browser (a host's message, a stored key):
/// Rust's `{n}` would link its float printer into the page (docs/performance.md,
/// "Transfer"). Whole numbers below 10^21 read the same.
pub fn js_number(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map_or_else(|_| String::new(), String::from)
}

/// The value of `attr` on the clicked element or its nearest ancestor that
/// has one: one delegated handler serves many drawn items.
pub fn data_attr(e: &yew::MouseEvent, attr: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    let target = e.target()?.dyn_into::<web_sys::Element>().ok()?;
    target
        .closest(&format!("[{attr}]"))
        .ok()??
        .get_attribute(attr)
}

/// A note as the reader sees it: the plain words, and the Ceph detail (in
/// backticks in the scenario) as code. Text only, never markup.
pub fn note_html(text: &str) -> yew::Html {
    use yew::html;
    monscope_core::trace::format::note_spans(text)
        .into_iter()
        .map(|(code, s)| {
            if code {
                html! { <code>{ s }</code> }
            } else {
                html! { { s } }
            }
        })
        .collect()
}

/// A part of the page drawn by a memo (`use_memo`): kept as it is while the
/// memo holds the same drawing. yew compares a component's props and skips
/// one whose props are unchanged, but it diffs plain markup node by node at
/// every render of the app (a seek and each frame while playing), even when
/// the memo handed it the very same drawing; this one component type serves
/// every such part (each type of its own is code in the wasm).
#[derive(yew::Properties)]
pub struct KeepProps {
    pub html: std::rc::Rc<yew::Html>,
}

impl PartialEq for KeepProps {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.html, &other.html)
    }
}

#[yew::function_component(Keep)]
pub fn keep(p: &KeepProps) -> yew::Html {
    (*p.html).clone()
}
