//! What a real run needs, checked before anything starts: each missing piece
//! is one sentence saying what to do (the CLI exits 2).

use crate::client::PYTHON;
use std::path::Path;
use std::process::{Command, Stdio};

/// libfaketime's multi-threaded library (Debian's libfaketime).
pub const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

const INSTALL: &str = "install them with `cargo xtask tools` or \
     `apt-get install ceph-mon ceph-common faketime iptables iproute2`";

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        || ["/usr/sbin", "/sbin", "/usr/bin"]
            .iter()
            .any(|d| Path::new(d).join(program).is_file())
}

/// `needs_faketime`: the scenario skews a clock.
pub fn check(needs_faketime: bool) -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(
            "monscope real must run as root: it creates a network namespace, \
             iptables rules inside it and ceph-mon processes (try sudo)"
                .into(),
        );
    }
    let programs = ["ceph-mon", "monmaptool", "ceph-authtool", "iptables", "ip"];
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !on_path(p)).collect();
    if !missing.is_empty() {
        return Err(format!(
            "monscope real needs {} on PATH: {INSTALL}",
            missing.join(", ")
        ));
    }
    let rados = Command::new(PYTHON)
        .args(["-c", "import rados"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !rados {
        return Err(format!(
            "monscope real needs Python's rados module for {PYTHON} (Debian's python3-rados, \
             which ceph-common brings): {INSTALL}"
        ));
    }
    if needs_faketime && !Path::new(FAKETIME_LIB).is_file() {
        return Err(format!(
            "this scenario skews a clock, which needs {FAKETIME_LIB}: {INSTALL}"
        ));
    }
    Ok(())
}

/// `ceph-mon --version` as "real ceph-mon 16.2.15".
pub fn version() -> String {
    let out = Command::new("ceph-mon")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    source_name(&out)
}

/// "ceph version 16.2.15 (618f...) pacific (stable)" → "real ceph-mon 16.2.15".
pub fn source_name(version_line: &str) -> String {
    let v = version_line
        .split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)
        .unwrap_or("(unknown version)");
    format!("real ceph-mon {v}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_source_names_the_daemons_version() {
        assert_eq!(
            super::source_name(
                "ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)\n"
            ),
            "real ceph-mon 16.2.15"
        );
        assert_eq!(super::source_name(""), "real ceph-mon (unknown version)");
    }
}
