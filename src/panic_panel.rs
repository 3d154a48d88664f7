//! A panic never leaves a blank page: the hook logs the panic to the console and
//! shows it in an error panel (`#error-panel`) at the top of the page.

use std::panic::PanicHookInfo;

/// Through yew, because yew's renderer replaces any hook not set this way.
pub fn install() {
    yew::set_custom_panic_hook(Box::new(on_panic));
}

fn on_panic(info: &PanicHookInfo<'_>) {
    report(&format!("monscope crashed: {info}"));
}

/// Log `text` and show it in the error panel (the simulation worker's panic).
pub fn report(text: &str) {
    web_sys::console::error_1(&text.into());
    // Best effort: if the DOM itself is unusable there is nothing more to do.
    let _ = show(text);
}

fn show(text: &str) -> Option<()> {
    let document = web_sys::window()?.document()?;
    let panel = match document.get_element_by_id("error-panel") {
        Some(panel) => panel,
        None => {
            let panel = document.create_element("div").ok()?;
            panel.set_id("error-panel");
            panel.set_attribute("role", "alert").ok()?;
            let body = document.body()?;
            body.insert_before(&panel, body.first_child().as_ref())
                .ok()?;
            panel
        }
    };
    let heading = document.create_element("h2").ok()?;
    heading.set_text_content(Some("Something went wrong"));
    let detail = document.create_element("pre").ok()?;
    detail.set_text_content(Some(text));
    let hint = document.create_element("p").ok()?;
    hint.set_text_content(Some(
        "This is a bug in monscope. Reload the page to start again; the browser console has details.",
    ));
    let reload = document.create_element("button").ok()?;
    reload.set_text_content(Some("Reload"));
    reload.set_attribute("onclick", "location.reload()").ok()?;
    panel.set_text_content(None);
    panel.append_child(&heading).ok()?;
    panel.append_child(&detail).ok()?;
    panel.append_child(&hint).ok()?;
    panel.append_child(&reload).ok()?;
    Some(())
}
