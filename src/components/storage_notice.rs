//! What persistence tells the reader: notices (what is not saved, what was
//! set aside, what a restore found), and the disk: each monitor's persisted
//! keys and whether the last transaction is flushed. Plain view functions
//! (no state of their own), which keeps the bundle small.

use crate::state::Msg;
use crate::store::persist::StorageView;
use monscope_core::time::Time;
use yew::prelude::*;

pub fn notices(v: &StorageView, on_dismiss: &Callback<u64>, on: &Callback<Msg>) -> Html {
    if v.notices.is_empty() && v.previous.is_none() {
        return html! {};
    }
    let restore = v.previous.clone().map(|s| {
        let click = super::click(on, Msg::Restore(s));
        super::button(
            click,
            false,
            "restore-previous",
            "",
            "Restore previous session",
        )
    });
    html! {
        <div class="storage-notices" data-testid="storage-notices">
            { for v.notices.iter().map(|n| {
                let id = n.id;
                let dismiss = on_dismiss.reform(move |_: MouseEvent| id);
                html! {
                    <div class={classes!("notice", n.kind)} role={if n.kind == "error" { "alert" } else { "status" }} data-testid="storage-notice" data-kind={n.kind}>
                        <span>{ n.text.clone() }</span>
                        <button class="link-button" onclick={dismiss} aria-label="dismiss" data-testid="storage-notice-dismiss">{ "✕" }</button>
                    </div>
                }
            }) }
            { restore.unwrap_or_default() }
        </div>
    }
}

/// The store inspector's disk side: what IndexedDB holds, for the page
/// showing run `shown.0` at `shown.1`.
pub fn disk(v: &StorageView, shown: (u64, Time)) -> Html {
    // Flushed only for what is shown: a seek's render is drawn before the
    // storage hears of it, and "flushed" then would be of the time before.
    let flushed = v.flushed && v.at == shown;
    let status = if !v.saving {
        "not saving".to_string()
    } else if flushed {
        format!("flushed · {} transactions in the journal", v.journal)
    } else if v.pending > 0 {
        format!(
            "writing… {} of {} transactions not on disk yet",
            v.pending, v.journal
        )
    } else {
        // Every store transaction is written; the playhead or session is not yet.
        format!(
            "saving the session · {} transactions in the journal",
            v.journal
        )
    };
    html! {
        <section class="panel disk" aria-label="disk" data-testid="disk" data-flushed={flushed.to_string()} data-saving={v.saving.to_string()}
            data-journal={v.journal.to_string()} data-batches={v.batches.to_string()}>
            <details>
                <summary>{ "Disk (IndexedDB): " }<span data-testid="disk-status">{ status }</span></summary>
                { for v.stores.iter().map(|(name, keys)| html! {
                    <div class="disk-mon" data-testid="disk-mon" data-mon={name.clone()}>
                        <b>{ format!("mon.{name}") }</b>{ format!(" {} keys: ", keys.len()) }
                        <span class="keys">{ keys.join(" ") }</span>
                    </div>
                }) }
            </details>
        </section>
    }
}
