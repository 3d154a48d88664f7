//! The run's private network namespace. monscope unshares its own network
//! namespace (so every process it starts is inside it, and nothing it does to
//! the network — addresses, iptables rules — is seen outside), then brings
//! the namespace's loopback up. When the run's processes end, the namespace
//! and its rules go with them.

use std::process::{Command, Stdio};

/// Move this thread (and so every child it starts) into a new network
/// namespace. Call from the main thread, before starting any process.
pub fn enter() -> Result<(), String> {
    // SAFETY: unshare(2) with CLONE_NEWNET only changes this thread's namespace.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(format!(
            "monscope real needs to create a network namespace (unshare: {e}); run it as root"
        ));
    }
    run("ip", &["link", "set", "lo", "up"])
}

/// Run a network command inside the namespace; an error names it.
pub fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// iptables inside the namespace (never called before [`enter`]).
pub fn iptables(args: &[String]) -> Result<(), String> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    run("iptables", &a)
}
