//! The scenario text when it is long (more lines than `state::PARSE_LINES`):
//! a `<textarea>` of 36,000 lines costs the browser half a second of style
//! and layout (it makes a text node and a `<br>` per line), so a long text
//! is shown as rows for the lines in view only, over a spacer as tall as
//! the whole text. A click on a row edits that line in a small textarea
//! (Enter in it adds lines to the range being edited); "edit the whole
//! text" puts it all in a textarea again, slowly, when asked.

use crate::effect::{self, use_effect_on};
use crate::state::Msg;
pub use crate::text_lines::is_long;
use crate::text_lines::{line_starts, pasted_long, span};
use monscope_core::scenario::ParseError;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

/// A row's height in CSS pixels (`.lines .row` in monscope.css).
const ROW: i32 = 16;
/// Rows the scroller shows (its CSS height is this many rows).
const VIEW: usize = 14;
/// Rows drawn above and below the view, so a scroll shows drawn rows.
const MARGIN: usize = 16;

/// A paste into the textarea that fired `e`, when the text it would leave
/// is long: the paste is stopped (the textarea never holds that text) and
/// the text it would have left is returned.
pub fn long_paste(e: &Event) -> Option<String> {
    let pasted = e
        .dyn_ref::<web_sys::ClipboardEvent>()?
        .clipboard_data()?
        .get_data("text")
        .ok()?;
    let el = e.target_dyn_into::<HtmlTextAreaElement>()?;
    let (from, to) = (el.selection_start().ok()??, el.selection_end().ok()??);
    let text = pasted_long(&el.value(), from as usize, to as usize, &pasted)?;
    e.prevent_default();
    Some(text)
}

/// The scenario's textarea: the short text's (uncontrolled: app.rs sets
/// it when the text changes), or the long text's when asked for whole,
/// with `value` (yew compares it with the DOM at each render: slow, as
/// asked).
pub fn textarea(editor: NodeRef, value: Option<String>, error: bool, on: &Callback<Msg>) -> Html {
    let oninput = on.reform(|e: InputEvent| {
        Msg::Edit(e.target_unchecked_into::<HtmlTextAreaElement>().value())
    });
    // A paste that would make the text long never enters the textarea.
    let onpaste = {
        let on = on.clone();
        Callback::from(move |e: Event| {
            if let Some(text) = long_paste(&e) {
                // The long text's view is in the lazy module (src/lazy.rs).
                let on = on.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = crate::lazy::load().await;
                    on.emit(Msg::Edit(text));
                });
            }
        })
    };
    html! {
        <textarea class={classes!("editor", error.then_some("has-error"))}
                  ref={editor} {value} {oninput} {onpaste} spellcheck="false" rows="14"
                  aria-label="scenario text" aria-invalid={error.to_string()}
                  aria-describedby="scenario-error" data-testid="editor" />
    }
}

/// Puts `text` into the clipboard.
fn copy_all(text: &str) {
    let _ = gloo::utils::window()
        .navigator()
        .clipboard()
        .write_text(text);
}

/// Scrolls the view so that `line` (from 0) is in its middle.
fn scroll_to(view: &NodeRef, line: usize) {
    if let Some(el) = view.cast::<HtmlElement>() {
        el.set_scroll_top(line as i32 * ROW - ROW * VIEW as i32 / 2);
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub text: std::rc::Rc<String>,
    pub error: Option<ParseError>,
    pub on: Callback<Msg>,
}

#[function_component]
pub fn LongText(p: &Props) -> Html {
    // The text and where each of its lines starts, once per text.
    let lines = use_memo(p.text.clone(), |t| (t.clone(), line_starts(t)));
    // The first row in view.
    let top = use_state_eq(|| 0usize);
    // The lines being edited in the small textarea: first, how many.
    let editing = use_state_eq(|| None::<(usize, usize)>);
    // Always set to its opposite: `use_state` with `bool::default`, one
    // instance of the hook's code with the app's, the embed's, the timeline's.
    let whole = use_state(bool::default);
    let view = use_node_ref();
    let line_editor = use_node_ref();
    let n = lines.1.len();
    let error_line = p
        .error
        .as_ref()
        .map(|e| (e.line as usize).saturating_sub(1));
    let invalid = p.error.is_some();

    // A new error's line is scrolled to; a view that takes the place of a
    // focused textarea (after a paste) takes its focus.
    {
        let view = view.clone();
        use_effect_on(error_line, move |line| {
            if let Some(line) = *line {
                scroll_to(&view, line);
            }
            let doc = gloo::utils::document();
            if doc.active_element().is_none_or(|a| a.tag_name() == "BODY") {
                if let Some(el) = view.cast::<HtmlElement>() {
                    let _ = el.focus();
                }
            }
            effect::nothing()
        });
    }
    // The small editor takes the focus when it opens.
    {
        let line_editor = line_editor.clone();
        use_effect_on(editing.map(|e| e.0), move |_| {
            if let Some(el) = line_editor.cast::<HtmlElement>() {
                let _ = el.focus();
            }
            effect::nothing()
        });
    }

    let toggle_whole = {
        let whole = whole.clone();
        Callback::from(move |_: MouseEvent| whole.set(!*whole))
    };
    if *whole {
        return html! {
            <div class="long-text">
                <p class="hint">
                    { format!("All {n} lines in one textarea: the browser lays every one out at each change (slow). ") }
                    <button onclick={toggle_whole}>{ "Show only the lines in view" }</button>
                </p>
                { textarea(NodeRef::default(), Some((*lines.0).clone()), invalid, &p.on) }
            </div>
        };
    }

    let onscroll = {
        let top = top.clone();
        Callback::from(move |e: Event| {
            top.set((e.target_unchecked_into::<HtmlElement>().scroll_top() / ROW) as usize);
        })
    };
    // A click on a row edits its line.
    let onclick = {
        let editing = editing.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(line) =
                super::data_attr(&e, "data-line").and_then(|l| l.parse::<usize>().ok())
            {
                editing.set(Some((line - 1, 1)));
            }
        })
    };
    // An edit of the small textarea is an edit of the whole text: its
    // lines replaced by the textarea's, which may now be more or fewer.
    let edit = {
        let (lines, editing, on) = (lines.clone(), editing.clone(), p.on.clone());
        move |value: &str| {
            if let Some((first, count)) = *editing {
                let (from, to) = span(&lines.0, &lines.1, first, count);
                let text = [&lines.0[..from], value, &lines.0[to..]].concat();
                editing.set(Some((first, value.split('\n').count())));
                on.emit(Msg::Edit(text));
            }
        }
    };
    let on_line_input = {
        let edit = edit.clone();
        Callback::from(move |e: InputEvent| {
            edit(&e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let close = {
        let editing = editing.clone();
        Callback::from(move |_: FocusEvent| editing.set(None))
    };
    // Keys, on the view or in the line editor. In the editor, Escape closes
    // it and leaves the focus on the view. On the view, select-all selects
    // the whole text: the drawn rows show the selection, a copy then takes
    // the whole text (a selection of some rows copies what it shows), and a
    // paste replaces it (below).
    let onkeydown = {
        let (editing, view, lines) = (editing.clone(), view.clone(), lines.clone());
        Callback::from(move |e: KeyboardEvent| {
            let (Some(el), Some(sel)) = (
                view.cast::<HtmlElement>(),
                gloo::utils::window().get_selection().ok().flatten(),
            ) else {
                return;
            };
            let in_editor = e.target_dyn_into::<HtmlTextAreaElement>().is_some();
            let all = sel.anchor_node().as_deref() == Some(&el)
                && sel.focus_node().as_deref() == Some(&el);
            let ctrl = e.ctrl_key() || e.meta_key();
            match e.key().as_str() {
                "Escape" if in_editor => {
                    editing.set(None);
                    let _ = el.focus();
                }
                "a" | "A" if ctrl && !in_editor => {
                    e.prevent_default();
                    let _ = sel.select_all_children(&el);
                }
                "c" | "C" if ctrl && all => {
                    e.prevent_default();
                    copy_all(&lines.0);
                }
                _ => {}
            }
        })
    };
    // A paste into the line editor that makes the text long goes to the
    // page as a whole text (the editor closes); a paste on the view itself
    // replaces the whole text, as select-all and paste do in a textarea.
    let onpaste = {
        let (editing, on) = (editing.clone(), p.on.clone());
        Callback::from(move |e: Event| {
            if e.target_dyn_into::<HtmlTextAreaElement>().is_some() {
                if let Some(value) = long_paste(&e) {
                    edit(&value);
                    editing.set(None);
                }
            } else if let Some(text) = e
                .dyn_ref::<web_sys::ClipboardEvent>()
                .and_then(|c| c.clipboard_data()?.get_data("text").ok())
            {
                e.prevent_default();
                on.emit(Msg::Edit(text));
            }
        })
    };
    // "Edit line": scrolled to and opened, its row drawn in the same render.
    let goto = {
        let (editing, top, view) = (editing.clone(), top.clone(), view.clone());
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            if let Ok(line) = v.parse::<usize>() {
                let line = line.clamp(1, n) - 1;
                scroll_to(&view, line);
                top.set(line.saturating_sub(VIEW / 2));
                editing.set(Some((line, 1)));
            }
        })
    };
    let copy = {
        let lines = lines.clone();
        Callback::from(move |_: MouseEvent| copy_all(&lines.0))
    };

    let from = top.saturating_sub(MARGIN);
    let to = (*top + VIEW + MARGIN).min(n);
    // The rows in view (the line editor in place of its lines).
    let rows = |range: std::ops::Range<usize>| -> Html {
        range
            .map(|i| {
                let (a, b) = span(&lines.0, &lines.1, i, 1);
                let line = &lines.0[a..b];
                let (class, body) = match &p.error {
                    // The error's line is marked from its column on.
                    Some(e) if error_line == Some(i) => {
                        let c = line
                            .char_indices()
                            .nth((e.col as usize).saturating_sub(1))
                            .map_or(line.len(), |(c, _)| c);
                        let title = e.message.clone();
                        let body =
                            html! { <>{ &line[..c] }<mark {title}>{ &line[c..] }{ " " }</mark></> };
                        ("row has-error", body)
                    }
                    _ => ("row", html! { { line } }),
                };
                html! { <div {class} data-line={(i + 1).to_string()}>{ body }</div> }
            })
            .collect()
    };
    let window = match *editing {
        Some((first, count)) if first >= from && first < to => {
            let (a, b) = span(&lines.0, &lines.1, first, count);
            html! {
                <>
                    { rows(from..first) }
                    <textarea class="line-editor" ref={line_editor} value={lines.0[a..b].to_string()}
                              style={format!("height:{}px", count as i32 * ROW)}
                              spellcheck="false" aria-label={format!("line {}", first + 1)}
                              oninput={on_line_input} onblur={close}
                              data-testid="line-editor" />
                    { rows((first + count).min(to)..to) }
                </>
            }
        }
        _ => rows(from..to),
    };
    html! {
        <div class="long-text" data-testid="editor" data-lines={n.to_string()}>
            <p class="hint">
                { format!("{n} lines: only those in view are drawn. Click a line to edit it; select all here to copy or replace the whole text. ") }
                <input type="number" min="1" placeholder="line" aria-label="edit line" onchange={goto} />
                { super::button(copy, false, "copy-text", "", "Copy text") }
                <button onclick={toggle_whole} title="puts every line in one textarea: slow">{ "Edit the whole text…" }</button>
            </p>
            <div class={classes!("lines", invalid.then_some("has-error"))} ref={view}
                 tabindex="0" role="group" aria-label="scenario text: the lines in view"
                 aria-invalid={invalid.to_string()} aria-describedby="scenario-error"
                 {onscroll} {onpaste} {onkeydown}>
                <div class="spacer" style={format!("height:{}px", n as i32 * ROW)} {onclick}>
                    <div class="window" style={format!("top:{}px", from as i32 * ROW)}>{ window }</div>
                </div>
            </div>
        </div>
    }
}
