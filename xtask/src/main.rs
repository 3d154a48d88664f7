//! `cargo xtask`: the project's set-up and checks (see README.md).
//!
//! - `cargo xtask serve [--port N]`: install what is missing, build the web app
//!   (release) and serve it on http://127.0.0.1:8080.
//! - `cargo xtask test`: install what is missing, then run every check and test:
//!   fmt, clippy (native and wasm32), native tests, `monscope check` of every
//!   scenario, browser tests in headless Chromium, the release build, end-to-end tests.
//! - `cargo xtask build`: install what is missing and build the web app into dist/.
//! - `cargo xtask tools`: only install what is missing.
//! - `cargo xtask real`: every scenario on the simulator and on real ceph-mon,
//!   compared; a markdown report in target/real-report.md.
//! - `cargo xtask bench [--hours H] [--runs N]`: `monscope bench` natively and as
//!   wasm (wasm32-wasip1 in node), and the ratio of their times.
//!
//! Plain std Rust, so that it builds in seconds on a fresh machine.

mod bench;
mod nightly;
mod real;
mod serve;
mod sh;
mod test;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

pub type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  serve [--port N]   install what is missing, build the web app (release), serve it
                     on http://127.0.0.1:8080 (or port N) until Ctrl-C
  test               install what is missing, then run every check and test
  build              install what is missing, build the web app (release) into dist/
  tools              only install what is missing
  real               compare every scenario on the simulator and on real ceph-mon
                     (root); the report goes to target/real-report.md
  bench [--hours H] [--runs N]
                     build and run `monscope bench` natively and as wasm (node's
                     WASI), best of N runs each (default 1 hour, 3 runs), and the ratio;
                     wasm's is a second run on the compiled module, its first beside";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    sh::prepare_path(&root);
    let result = match args.first().map(String::as_str) {
        Some("serve") => port_arg(&args[1..]).and_then(|port| serve::serve_cmd(&root, port)),
        Some("test") if args.len() == 1 => test::run_all(&root),
        Some("build") if args.len() == 1 => {
            tools::ensure(&root, tools::Need::Build).and_then(|()| serve::trunk_build(&root))
        }
        Some("tools") if args.len() == 1 => tools::ensure(&root, tools::Need::All),
        Some("real") if args.len() == 1 => real::report(&root),
        Some("bench") => bench::bench(&root, &args[1..]),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!(
            "unknown or missing command {:?}\n\n{USAGE}",
            args.join(" ")
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn port_arg(args: &[String]) -> Result<u16> {
    match args {
        [] => Ok(8080),
        [flag, port] if flag == "--port" => port
            .parse()
            .map_err(|_| format!("--port needs a number from 1 to 65535, not {port:?}")),
        _ => Err(format!(
            "serve takes only --port N, not {:?}",
            args.join(" ")
        )),
    }
}

/// The repository root: xtask lives in `<root>/xtask`.
fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .expect("xtask/ has a parent directory")
        .to_path_buf()
}
