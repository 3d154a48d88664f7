//! The admin socket, spoken directly: `ceph --admin-daemon` would cost a
//! Python start (~0.5 s of CPU) per question, and the poller asks every 100 ms.
//!
//! Protocol (Ceph's AdminSocket, checked against ceph-mon 16.2.15): the client
//! writes the JSON command followed by one NUL byte; the daemon answers with a
//! 4-byte big-endian length and that many bytes of output.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// The largest answer accepted (a mon_status of 15 monitors is about 40 kB).
const MAX_ANSWER: u32 = 16 << 20;

/// Send `json` (e.g. `{"prefix":"mon_status"}`) and return the answer.
pub fn command(path: &Path, json: &str, timeout: Duration) -> std::io::Result<String> {
    let mut s = UnixStream::connect(path)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let mut req = Vec::with_capacity(json.len() + 1);
    req.extend_from_slice(json.as_bytes());
    req.push(0);
    s.write_all(&req)?;
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_ANSWER {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("admin socket answer of {len} bytes"),
        ));
    }
    let mut buf = vec![0u8; len as usize];
    s.read_exact(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    /// A socket that answers like Ceph's AdminSocket: it reads up to the NUL
    /// and replies with a big-endian length and the text.
    #[test]
    fn a_command_is_nul_terminated_and_the_answer_length_prefixed() {
        let dir = std::env::temp_dir().join(format!("monscope-asok-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("mon.a.asok");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            let (mut c, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            let mut b = [0u8; 1];
            while c.read_exact(&mut b).is_ok() && b[0] != 0 {
                got.push(b[0]);
            }
            let answer = br#"{"state":"leader"}"#;
            c.write_all(&(answer.len() as u32).to_be_bytes()).unwrap();
            c.write_all(answer).unwrap();
            String::from_utf8(got).unwrap()
        });
        let answer = command(&path, r#"{"prefix":"mon_status"}"#, Duration::from_secs(2)).unwrap();
        assert_eq!(answer, r#"{"state":"leader"}"#);
        assert_eq!(server.join().unwrap(), r#"{"prefix":"mon_status"}"#);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
