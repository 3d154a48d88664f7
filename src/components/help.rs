//! The help dialog: what the picture means and the keyboard.

use crate::state::Msg;
use yew::prelude::*;

pub struct Props {
    pub on: Callback<Msg>,
}

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer).
pub fn help(p: &Props) -> Html {
    let close = super::click(&p.on, Msg::Help(false));
    let keys = [
        ("space", "play / pause"),
        ("← →", "previous / next event"),
        ("1 … 9", "select a monitor"),
        (
            "k r w i e",
            "kill, revive, wipe, isolate, call an election (selected monitor)",
        ),
        ("h", "heal every cut link"),
        ("u, Ctrl+Z", "undo the last action"),
        ("+ −", "zoom the timeline"),
        ("?", "this help"),
        ("Esc", "close the help, or the selected message's card"),
    ];
    html! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help">
                <h2 id="help-title">{ "How to read monscope" }</h2>
                <p>{ "Each circle is a Ceph monitor: its colour and word give its state (probing, electing, leader, peon, down), with its rank, election epoch (e) and paxos last_committed (v). The crown marks the leader; the shaded outline is the quorum; the ring around a monitor is its lease, emptying as it runs down." }</p>
                <p>{ "Dots moving between monitors are messages, coloured by protocol and labelled with their op; a red ✕ is a message that was lost (cut link, loss, or a down receiver). The row under the ring is the colours' key: click a protocol to hide or show it (pings and time checks start hidden). The timeline below draws the same messages as arrows between lanes, one lane per monitor; click one to see its fields." }</p>
                <p>{ "Everything you do (kill, cut, write...) becomes a line of the scenario at the playhead; the future is recomputed. Undo restores the previous text." }</p>
                <h3>{ "Keyboard" }</h3>
                <dl class="keys">
                    { for keys.iter().map(|(k, v)| html! { <><dt><kbd>{ *k }</kbd></dt><dd>{ *v }</dd></> }) }
                </dl>
                <button onclick={close} data-testid="help-close" autofocus=true>{ "Close" }</button>
            </div>
        </div>
    }
}
