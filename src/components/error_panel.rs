//! The panel a share link that could not be opened shows: what is wrong, as
//! plain text (Yew escapes it), and what the reader can do.

use crate::share::LinkProblem;
use monscope_core::scenario::link::Decoded;
use yew::prelude::*;

pub struct Props {
    pub problem: LinkProblem,
    /// Open a link whose content was refused anyway.
    pub on_open: Callback<Decoded>,
    pub on_dismiss: Callback<()>,
}

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer).
pub fn error_panel(p: &Props) -> Html {
    let open = p.problem.decoded.clone().map(|d| {
        let on_open = p.on_open.clone();
        Callback::from(move |_: MouseEvent| on_open.emit(d.clone()))
    });
    let dismiss = super::close(&p.on_dismiss);
    html! {
        <section class="error-panel" role="alert" aria-labelledby="link-error-title" data-testid="link-error">
            <h2 id="link-error-title">{ "This link could not be opened" }</h2>
            <p data-testid="link-error-message">{ p.problem.message.clone() }</p>
            <p class="hint">{ "Your session is as you left it: nothing from the link was run or saved." }</p>
            <div class="error-buttons">
                if let Some(open) = open {
                    { super::button(open, false, "link-open-anyway", "put the link's scenario in the editor; all of it is shown as plain text", "Open it as text") }
                }
                { super::button(dismiss, false, "link-dismiss", "", "Dismiss") }
            </div>
        </section>
    }
}
