//! My scenarios: save, rename, load and delete the user's own scenarios
//! (kept in IndexedDB), export one as a `.mon` file, import one.

use crate::store::persist::{Op, Storage};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// What the panel shows: it is drawn again only when one of these changes
/// (`use_memo` in the app, as the inspector), not every frame.
pub struct Props {
    pub storage: Rc<Storage>,
    pub mine: Vec<(String, String)>,
    /// The editor's text (what Save and Export take).
    pub text: Rc<String>,
    pub title: Option<String>,
    pub on_load: Callback<String>,
    /// The name field and the hidden file input (made once by the app).
    pub name_ref: NodeRef,
    pub file_ref: NodeRef,
}

/// `text` offered as the download `name.mon` once the lazy module is in
/// (`mon_file::export` is in it: only these clicks run it; a failed load is
/// left to the call, which says so).
fn export_mon(storage: Rc<Storage>, name: String, text: String) {
    wasm_bindgen_futures::spawn_local(async move {
        let _ = crate::lazy::load().await;
        if let Err(e) = crate::store::mon_file::export(&name, &text) {
            storage.notice("error", format!("Export failed: {e}"));
        }
    });
}

impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.storage, &o.storage)
            && self.mine == o.mine
            && self.text == o.text
            && self.title == o.title
            && self.on_load == o.on_load
            && self.name_ref == o.name_ref
            && self.file_ref == o.file_ref
    }
}

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer).
pub fn my_scenarios(p: &Props) -> Html {
    let (name_ref, file_ref) = (p.name_ref.clone(), p.file_ref.clone());
    let name_value = {
        let r = name_ref.clone();
        move || {
            r.cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default()
        }
    };
    let save = {
        let (storage, text, title, name) = (
            p.storage.clone(),
            p.text.clone(),
            p.title.clone(),
            name_value.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let n = name();
            let n = if n.trim().is_empty() {
                title.clone().unwrap_or_default()
            } else {
                n
            };
            storage.scenario(Op::Save {
                name: n,
                text: (*text).clone(),
                replace: false,
            });
        })
    };
    let export_current = {
        let (storage, text, title, name) = (
            p.storage.clone(),
            p.text.clone(),
            p.title.clone(),
            name_value.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let n = name();
            let n = if n.trim().is_empty() {
                title.clone().unwrap_or_else(|| "scenario".into())
            } else {
                n
            };
            export_mon(storage.clone(), n, text.to_string());
        })
    };
    let import = {
        let storage = p.storage.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                storage.import(file);
            }
            input.set_value("");
        })
    };
    let rows = p.mine.iter().map(|(name, text)| {
        let load = {
            let (on, text) = (p.on_load.clone(), text.clone());
            Callback::from(move |_: MouseEvent| on.emit(text.clone()))
        };
        let rename = {
            let (storage, old, name) = (p.storage.clone(), name.clone(), name_value.clone());
            Callback::from(move |_: MouseEvent| {
                storage.scenario(Op::Rename { old: old.clone(), new: name(), text: String::new() })
            })
        };
        let delete = {
            let (storage, n) = (p.storage.clone(), name.clone());
            Callback::from(move |_: MouseEvent| storage.scenario(Op::Delete { name: n.clone() }))
        };
        let export = {
            let (storage, n, text) = (p.storage.clone(), name.clone(), text.clone());
            Callback::from(move |_: MouseEvent| export_mon(storage.clone(), n.clone(), text.clone()))
        };
        html! {
            <li data-testid="my-scenario" data-name={name.clone()}>
                <span class="name">{ name.clone() }</span>
                { super::button(load, false, "my-load", "", "Load") }
                { super::button(rename, false, "my-rename", "rename to the name typed above", "Rename") }
                { super::button(export, false, "my-export", "", "Export") }
                { super::button(delete, false, "my-delete", "", "Delete") }
            </li>
        }
    });
    let open_file = {
        let r = file_ref.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = r.cast::<HtmlInputElement>() {
                i.click();
            }
        })
    };
    html! {
        <section class="panel my-scenarios" aria-label="my scenarios" data-testid="my-scenarios">
            <details open={!p.mine.is_empty()}>
                <summary>{ format!("My scenarios ({})", p.mine.len()) }</summary>
                <div class="action-row">
                    <input ref={name_ref} size="14" placeholder="name" aria-label="scenario name" data-testid="my-name" />
                    { super::button(save, false, "my-save", "save the editor's text under this name", "Save") }
                    { super::button(export_current, false, "my-export-current", "", "Export .mon") }
                    { super::button(open_file, false, "my-import", "", "Import .mon") }
                    <input ref={file_ref} type="file" accept=".mon,text/plain" hidden=true onchange={import} data-testid="my-import-file" />
                </div>
                <ul class="my-list">{ for rows }</ul>
            </details>
        </section>
    }
}
