//! `.mon` files: export a scenario as a download, import one from a file.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The largest file imported (a share link's limit too).
const MAX_BYTES: f64 = 64.0 * 1024.0;

/// Offer `text` as the download `name.mon`.
pub fn export(name: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/plain;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|_| "the browser could not make the file".to_string())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser could not make a download link".to_string())?;
    let a: web_sys::HtmlAnchorElement = gloo::utils::document()
        .create_element("a")
        .map_err(|_| "no document".to_string())?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(&format!("{}.mon", file_stem(name)));
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// A name that is safe as a file name.
fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        "scenario".into()
    } else {
        s
    }
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
