//! The help dialog: what the picture means and the keyboard.

use crate::state::Msg;
use yew::prelude::*;

pub struct Props {
    pub on: Callback<Msg>,
}

/// The dialog's words and the keyboard's table: fixed markup, handed to the
/// browser as it is (`Html::from_html_unchecked`, no user text in it), since
/// each element written with `html!` is code of its own in the wasm.
const TEXT: &str = concat!(
    r#"<h2 id="help-title">How to read monscope</h2>"#,
    "<p>Each circle is a Ceph monitor: its colour and word give its state (probing, electing, leader, peon, down), with its rank, election epoch (e) and paxos last_committed (v). The crown marks the leader; the shaded outline is the quorum; the ring around a monitor is its lease, emptying as it runs down.</p>",
    "<p>Dots moving between monitors are messages, coloured by protocol and labelled with their op; a red ✕ is a message that was lost (cut link, loss, or a down receiver). The row under the ring is the colours' key: click a protocol to hide or show it (pings and time checks start hidden). The timeline below draws the same messages as arrows between lanes, one lane per monitor; click one to see its fields.</p>",
    "<p>Everything you do (kill, cut, write...) becomes a line of the scenario at the playhead; the future is recomputed. Undo restores the previous text.</p>",
    "<h3>Keyboard</h3>",
    r#"<dl class="keys">"#,
    "<dt><kbd>space</kbd></dt><dd>play / pause</dd>",
    "<dt><kbd>← →</kbd></dt><dd>previous / next event</dd>",
    "<dt><kbd>1 … 9</kbd></dt><dd>select a monitor</dd>",
    "<dt><kbd>k r w i e</kbd></dt><dd>kill, revive, wipe, isolate, call an election (selected monitor)</dd>",
    "<dt><kbd>h</kbd></dt><dd>heal every cut link</dd>",
    "<dt><kbd>u, Ctrl+Z</kbd></dt><dd>undo the last action</dd>",
    "<dt><kbd>+ −</kbd></dt><dd>zoom the timeline</dd>",
    "<dt><kbd>?</kbd></dt><dd>this help</dd>",
    "<dt><kbd>Esc</kbd></dt><dd>close the help, or the selected message's card</dd>",
    "</dl>",
);

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer). In the
/// lazy module (src/lazy.rs), with its words: the app draws it once that is in.
#[inline(never)]
pub fn help(p: &Props) -> Html {
    let close = super::click(&p.on, Msg::Help(false));
    html! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help">
                { Html::from_html_unchecked(AttrValue::Static(TEXT)) }
                <button onclick={close} data-testid="help-close" autofocus=true>{ "Close" }</button>
            </div>
        </div>
    }
}
