//! Building the web app with trunk, and a small std-only static file server for
//! dist/ (used by `cargo xtask serve` and by the end-to-end tests).

use crate::nightly;
use crate::sh;
use crate::tools::{self, Need};
use crate::Result;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Where the end-to-end tests serve dist/ (tests/e2e/subpath.test.mjs).
pub const E2E_PREFIX: &str = "/docs/monscope/";

pub fn serve_cmd(root: &Path, port: u16) -> Result {
    tools::ensure(root, Need::Build)?;
    trunk_build(root)?;
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        format!("cannot listen on 127.0.0.1:{port}: {e} (is another server running? try --port N)")
    })?;
    println!("\nxtask: monscope is served on http://127.0.0.1:{port}/  (Ctrl-C stops it)");
    serve_forever(listener, root.join("dist"), "/");
    Ok(())
}

/// `trunk build --release`: dist/ gets index.html, the wasm (optimized by
/// binaryen's wasm-opt), its JS glue, css and favicon. Its cargo builds run
/// on the pinned nightly (xtask/src/nightly.rs).
pub fn trunk_build(root: &Path) -> Result {
    // Trunk.toml says `offline = true` (so trunk never downloads a tool), which
    // trunk also passes on to cargo: fetch the crates first, the std's too.
    sh::run(
        nightly::page_build(&mut Command::new("cargo"))
            .args(["fetch", "--quiet", "--target", tools::WASM_TARGET])
            .current_dir(root),
    )?;
    sh::run(
        nightly::page_build(&mut Command::new("trunk"))
            .args(["build", "--release"])
            .current_dir(root),
    )?;
    let index = root.join("dist/index.html");
    if !index.exists() {
        return Err(format!(
            "trunk succeeded but {} is missing",
            index.display()
        ));
    }
    println!(
        "xtask: built the web app into {}",
        root.join("dist").display()
    );
    Ok(())
}

/// Serves `dir` on `listener` until the process ends: GET and HEAD only, one
/// thread per connection, no directory listings, nothing outside `dir`.
/// `dir` is served at the root and also under `prefix` (e.g. `/docs/monscope/`),
/// as a site that is not at the root of its host is.
pub fn serve_forever(listener: TcpListener, dir: PathBuf, prefix: &'static str) {
    for stream in listener.incoming().flatten() {
        let dir = dir.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, &dir, prefix);
        });
    }
}

fn handle(mut stream: TcpStream, dir: &Path, prefix: &str) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut parts = request.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" && method != "HEAD" {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only\n",
            true,
        );
    }
    let head_only = method == "HEAD";
    match resolve(dir, under(prefix, target)) {
        Some(path) => match std::fs::read(&path) {
            Ok(body) => respond(
                &mut stream,
                "200 OK",
                content_type(&path),
                &body,
                !head_only,
            ),
            Err(_) => respond(
                &mut stream,
                "404 Not Found",
                "text/plain",
                b"not found\n",
                !head_only,
            ),
        },
        None => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            !head_only,
        ),
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    send_body: bool,
) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if send_body {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// A request target with `prefix` taken off it, if it is under it.
fn under<'a>(prefix: &str, target: &'a str) -> &'a str {
    match target.strip_prefix(prefix.trim_end_matches('/')) {
        Some(rest) if rest.starts_with('/') => rest,
        _ => target,
    }
}

/// The file for a request target: the query is ignored, `/` is index.html, a
/// path without an extension that names no file is index.html too (the app
/// reads its own URL), `..` never leaves `dir`.
pub fn resolve(dir: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let path = percent_decode(path)?;
    let mut file = dir.to_path_buf();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    if !file.exists() && file.extension().is_none() {
        file = dir.join("index.html");
    }
    file.is_file().then_some(file)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "mon" | "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-serve-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dir.join("assets/app.wasm"), b"\0asm").unwrap();
        dir
    }

    #[test]
    fn resolves_files_index_and_app_routes() {
        let dir = site();
        assert_eq!(resolve(&dir, "/"), Some(dir.join("index.html")));
        assert_eq!(resolve(&dir, "/?embed=1"), Some(dir.join("index.html")));
        assert_eq!(
            resolve(&dir, "/assets/app.wasm"),
            Some(dir.join("assets/app.wasm"))
        );
        assert_eq!(
            resolve(&dir, "/scenario/leader"),
            Some(dir.join("index.html"))
        );
        assert_eq!(resolve(&dir, "/missing.js"), None);
    }

    #[test]
    fn serves_under_a_prefix_and_at_the_root() {
        let dir = site();
        let p = "/docs/monscope/";
        assert_eq!(
            under(p, "/docs/monscope/assets/app.wasm"),
            "/assets/app.wasm"
        );
        assert_eq!(under(p, "/docs/monscope/?embed=1"), "/?embed=1");
        assert_eq!(under(p, "/assets/app.wasm"), "/assets/app.wasm");
        assert_eq!(under(p, "/docs/monscopex/a"), "/docs/monscopex/a");
        assert_eq!(
            resolve(&dir, under(p, "/docs/monscope/assets/app.wasm")),
            Some(dir.join("assets/app.wasm"))
        );
        assert_eq!(
            resolve(&dir, under(p, "/docs/monscope/../../etc/passwd")),
            None
        );
    }

    #[test]
    fn never_leaves_the_directory() {
        let dir = site();
        assert_eq!(resolve(&dir, "/../etc/passwd"), None);
        assert_eq!(resolve(&dir, "/assets/%2e%2e/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(&dir, "/%zz"), None);
    }

    #[test]
    fn wasm_is_served_as_application_wasm() {
        assert_eq!(content_type(Path::new("a/b_bg.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
    }
}
