//! Each monitor's store writes, read from the file ceph-mon appends them
//! to, so that committed config-key data is observed without asking.
//!
//! A `config-key dump` is a command, and Monitor::handle_command logs every
//! command to the audit channel (`cmd=...: dispatch`), which the leader
//! commits as a cluster-log version: each read of an `expect committed` was
//! a version the scenario did not make (peon-restart: one more at 45 s).
//! Admin-socket commands are audited too (Monitor::do_admin_command), and
//! the store cannot be opened while its monitor runs (RocksDB's lock).
//! With `mon_debug_dump_transactions` (binary, `mon_debug_dump_json`
//! false), MonitorDBStore::apply_transaction appends every transaction it
//! applies to `mon_debug_dump_location` before writing it: the leader's and
//! the peons' commits (Paxos::commit_start, Paxos::store_state, whose
//! transaction holds the committed services' own writes), a sync's chunks.
//! It changes nothing the monitors do or say to each other. A sync's store
//! clear (MonitorDBStore::clear) bypasses it; the runner reads that from
//! the log ([`crate::mon_log::LogFact::StoreCleared`]).
//!
//! The encoding (MonitorDBStore::Transaction::encode, Op::encode; Ceph's
//! little-endian encoding): `ENCODE_START(2, 1)` (u8 version, u8 compat,
//! u32 length of what follows), a list of ops (u32 count; each op
//! `ENCODE_START(2, 1)`, u8 type, string prefix, string key, bufferlist
//! value, string endkey; strings and bufferlists are a u32 length and the
//! bytes), then u64 bytes and u64 keys.

/// One store operation of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Put {
        prefix: String,
        key: String,
        value: Vec<u8>,
    },
    Erase {
        prefix: String,
        key: String,
    },
    /// Every key in [start, end) of the prefix.
    EraseRange {
        prefix: String,
        start: String,
        end: String,
    },
}

/// Ceph's op codes (MonitorDBStore::Transaction's enum).
const OP_PUT: u8 = 1;
const OP_ERASE: u8 = 2;
const OP_COMPACT: u8 = 3;
const OP_ERASE_RANGE: u8 = 4;

/// The complete transactions at the start of `buf`, and how many bytes
/// they took (a transaction still being written is left for next time).
/// Bytes that do not decode are an error: the reader stops there.
pub fn parse(buf: &[u8]) -> Result<(Vec<Vec<Op>>, usize), String> {
    let mut out = Vec::new();
    let mut used = 0;
    while let Some(len) = envelope_len(&buf[used..]) {
        let end = used + 6 + len;
        if end > buf.len() {
            break;
        }
        let mut r = Reader {
            buf: &buf[used + 6..end],
        };
        out.push(transaction_body(&mut r).map_err(|e| format!("at byte {used}: {e}"))?);
        used = end;
    }
    Ok((out, used))
}

/// The length after an `ENCODE_START` header, if the header is complete.
fn envelope_len(buf: &[u8]) -> Option<usize> {
    let h = buf.get(..6)?;
    Some(u32::from_le_bytes([h[2], h[3], h[4], h[5]]) as usize)
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.buf.len() < n {
            return Err(format!("{n} bytes wanted, {} left", self.buf.len()));
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, String> {
        Ok(String::from_utf8_lossy(self.bytes()?).into_owned())
    }

    /// An `ENCODE_START` header: the body that follows, as its own reader.
    fn envelope(&mut self) -> Result<Reader<'a>, String> {
        let _version = self.u8()?;
        let _compat = self.u8()?;
        let n = self.u32()? as usize;
        Ok(Reader { buf: self.take(n)? })
    }
}

/// A transaction after its header: its ops (u64 bytes and keys follow,
/// unread: they are Ceph's estimates).
fn transaction_body(r: &mut Reader) -> Result<Vec<Op>, String> {
    let n = r.u32()?;
    let mut ops = Vec::new();
    for _ in 0..n {
        let mut o = r.envelope()?;
        let kind = o.u8()?;
        let prefix = o.string()?;
        let key = o.string()?;
        let value = o.bytes()?.to_vec();
        // Op's version 1 had no endkey.
        let endkey = if o.buf.is_empty() {
            String::new()
        } else {
            o.string()?
        };
        match kind {
            OP_PUT => ops.push(Op::Put { prefix, key, value }),
            OP_ERASE => ops.push(Op::Erase { prefix, key }),
            OP_ERASE_RANGE => ops.push(Op::EraseRange {
                prefix,
                start: key,
                end: endkey,
            }),
            // A compaction changes no key.
            OP_COMPACT => {}
            other => return Err(format!("unknown op type {other}")),
        }
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(out: &mut Vec<u8>, s: &[u8]) {
        out.extend((s.len() as u32).to_le_bytes());
        out.extend(s);
    }

    fn envelope(body: Vec<u8>) -> Vec<u8> {
        let mut out = vec![2, 1];
        out.extend((body.len() as u32).to_le_bytes());
        out.extend(body);
        out
    }

    /// A transaction as MonitorDBStore::Transaction::encode writes it.
    fn encode(ops: &[(u8, &str, &str, &[u8], &str)]) -> Vec<u8> {
        let mut body = (ops.len() as u32).to_le_bytes().to_vec();
        for (kind, prefix, key, value, end) in ops {
            let mut op = vec![*kind];
            string(&mut op, prefix.as_bytes());
            string(&mut op, key.as_bytes());
            string(&mut op, value);
            string(&mut op, end.as_bytes());
            body.extend(envelope(op));
        }
        body.extend(123u64.to_le_bytes());
        body.extend(2u64.to_le_bytes());
        envelope(body)
    }

    #[test]
    fn a_peons_commit_transaction_shows_the_config_key_it_stores() {
        let mut file = encode(&[
            (OP_PUT, "paxos", "last_committed", &7u64.to_le_bytes(), ""),
            (OP_PUT, "mon_config_key", "colour", b"blue", ""),
            (OP_COMPACT, "paxos", "", b"", ""),
        ]);
        file.extend(encode(&[(OP_ERASE, "mon_config_key", "colour", b"", "")]));
        let (txs, used) = parse(&file).unwrap();
        assert_eq!(used, file.len());
        assert_eq!(txs.len(), 2);
        assert_eq!(
            txs[0][1],
            Op::Put {
                prefix: "mon_config_key".into(),
                key: "colour".into(),
                value: b"blue".to_vec()
            }
        );
        assert_eq!(txs[0].len(), 2, "the compaction changes no key");
        assert_eq!(
            txs[1],
            vec![Op::Erase {
                prefix: "mon_config_key".into(),
                key: "colour".into()
            }]
        );
    }

    #[test]
    fn a_transaction_still_being_written_is_left_for_the_next_read() {
        let one = encode(&[(OP_PUT, "mon_config_key", "k", b"v", "")]);
        let mut file = one.clone();
        file.extend(&one[..one.len() - 3]);
        let (txs, used) = parse(&file).unwrap();
        assert_eq!((txs.len(), used), (1, one.len()));
        let (txs, used) = parse(&file[..4]).unwrap();
        assert_eq!((txs.len(), used), (0, 0));
    }

    #[test]
    fn bytes_that_are_not_a_transaction_are_an_error_not_a_panic() {
        let mut junk = vec![2, 1, 9, 0, 0, 0];
        junk.extend([0xff; 9]);
        assert!(parse(&junk).is_err());
        let bad_op = encode(&[(9, "p", "k", b"", "")]);
        assert!(parse(&bad_op).unwrap_err().contains("unknown op type 9"));
    }
}
