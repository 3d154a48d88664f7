//! `.mon` files: export a scenario as a download, import one from a file.

use wasm_bindgen_futures::JsFuture;

/// The largest file imported (a share link's limit too).
const MAX_BYTES: f64 = 64.0 * 1024.0;

/// Offer `text` as the download `name.mon` (in the lazy module: called
/// once it is in, `my_scenarios::export_mon`).
#[inline(never)]
pub fn export(name: &str, text: &str) -> Result<(), String> {
    let file = format!("{}.mon", crate::download::file_stem(name));
    crate::download::offer(&file, "text/plain;charset=utf-8", text)
}

/// Read an imported `.mon` file: (name, text), or why it cannot be used.
pub async fn import(file: web_sys::File) -> Result<(String, String), String> {
    let fname = file.name();
    if file.size() > MAX_BYTES {
        return Err(format!(
            "{fname}: the file is larger than 64 KiB; a scenario is a short text"
        ));
    }
    let buf = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| format!("{fname}: the file could not be read"))?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{fname}: not a text file (it is not UTF-8)"))?;
    monscope_core::scenario::parse(&text)
        .map_err(|e| format!("{fname} is not a valid scenario: {e}"))?;
    let name = fname
        .strip_suffix(".mon")
        .unwrap_or(&fname)
        .trim()
        .to_string();
    Ok((
        if name.is_empty() {
            "imported".into()
        } else {
            name
        },
        text,
    ))
}
