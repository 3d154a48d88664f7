//! Trace events in words, for the CLI's timeline and the page's event log.

use super::{Event, EventKind};
use crate::mon::messages::Message;
use crate::mon::out::Timer;
use crate::time::format_secs;

/// One line: `12.345678  mon.a  sent PROPOSE e1 to mon.b`.
pub fn describe(ev: &Event, names: &[String]) -> String {
    let t = format_secs(ev.at);
    let who = |n: u32| node_label(names, n);
    let (actor, text) = match &ev.kind {
        EventKind::Send {
            id, from, to, msg, ..
        } => (
            who((*from).into()),
            format!(
                "sends {} to {} (#{id})",
                message_summary(msg),
                who((*to).into())
            ),
        ),
        EventKind::Deliver { id } => (String::new(), format!("#{id} delivered")),
        EventKind::Hold { id } => (
            String::new(),
            format!("#{id} held: link cut, TCP retransmits it after the heal"),
        ),
        EventKind::Drop { id, reason } => {
            (String::new(), format!("#{id} dropped: {}", reason.name()))
        }
        EventKind::TimerSet {
            node,
            timer,
            fires_at,
        } => (
            who(*node),
            format!(
                "arms {} for {}s",
                timer_name(&timer.timer()),
                format_secs(*fires_at)
            ),
        ),
        EventKind::TimerCancel { node, timer } => {
            (who(*node), format!("cancels {}", timer_name(timer)))
        }
        EventKind::TimerFire { node, timer } => {
            (who(*node), format!("{} fires", timer_name(timer)))
        }
        EventKind::Status { node, status } => {
            let mut s = format!(
                "is {} (epoch {}",
                status.state.name(),
                status.election_epoch
            );
            if let Some(l) = &status.leader {
                s += &format!(", leader {l}, quorum {}", status.quorum.join(" "));
            }
            s += &format!(
                ", paxos {} v{}..v{})",
                status.paxos.state.name(),
                status.paxos.first_committed,
                status.paxos.last_committed
            );
            (who(*node), s)
        }
        EventKind::Store { node, tx } => (
            who(*node),
            format!("store transaction of {} ops", tx.op_refs().count()),
        ),
        EventKind::Commit { node, version, .. } => (who(*node), format!("committed v{version}")),
        EventKind::Log { node, text } => (who(*node), text.text().into_owned()),
        EventKind::Action { line, text } => ("scenario".into(), format!("{text} (line {line})")),
        EventKind::ClientRequest { tid, target, op } => (
            "client".into(),
            format!(
                "request {tid}: {}{}",
                op.text(),
                target
                    .map(|t| format!(" to {}", who(t.into())))
                    .unwrap_or_default()
            ),
        ),
        EventKind::ClientReply { tid, answer, .. } => {
            ("client".into(), format!("request {tid}: {}", answer.text))
        }
        EventKind::Note { text } => ("note".into(), text.to_string()),
        EventKind::Expect {
            line,
            text,
            pass,
            actual,
        } => (
            "expect".into(),
            format!(
                "{} {text} (line {line}): {actual}",
                if *pass { "PASS" } else { "FAIL" }
            ),
        ),
        EventKind::Violation { text, property } => {
            ("SAFETY".into(), format!("{text} ({})", property.name()))
        }
        EventKind::Overrun { text } => ("STOPPED".into(), text.to_string()),
    };
    if actor.is_empty() {
        format!("{t:>12}  {text}")
    } else {
        format!("{t:>12}  {actor:<10} {text}")
    }
}

pub fn node_label(names: &[String], n: u32) -> String {
    match names.get(n as usize) {
        Some(name) if n as usize + 1 == names.len() && name == "client" => "client".into(),
        Some(name) => format!("mon.{name}"),
        None => format!("node{n}"),
    }
}

/// A message's op and its telling fields: `PROPOSE e3`, `BEGIN v5 pn 100`, `LEASE v5`.
pub fn message_summary(msg: &Message) -> String {
    let op = msg.op_name();
    match msg {
        Message::Probe(m) => format!("{op} ({})", m.name),
        Message::Election(m) => {
            if m.quorum.is_empty() {
                format!("{op} e{}", m.epoch)
            } else {
                let q: Vec<String> = m.quorum.iter().map(|r| r.to_string()).collect();
                format!("{op} e{} quorum {{{}}}", m.epoch, q.join(","))
            }
        }
        Message::Ping(_) => op.to_string(),
        Message::Paxos(m) => format!("{op} lc {} pn {}", m.last_committed, m.pn),
        Message::Sync(m) => format!("{op} cookie {} lc {}", m.cookie, m.last_committed),
        Message::Client(m) | Message::Forward(crate::mon::messages::MForward { req: m, .. }) => {
            format!("{op} #{}", m.tid)
        }
        Message::Route(r) => format!("{op} #{}", r.reply.tid),
        Message::Close(c) => format!("{op} session {}", c.session),
        Message::ClientReply(r) => format!("{op} #{}", r.tid),
        Message::Timecheck(m) => format!("{op} e{} round {}", m.epoch, m.round),
        Message::GlobalId(m) => format!("{op} old_max_id {}", m.old_max_id),
        Message::Log(m) => format!("{op} {} entries", m.entries.len()),
    }
}

pub fn timer_name(t: &Timer) -> String {
    match t {
        Timer::ProbeTimeout => "probe timeout".into(),
        Timer::ElectionExpire => "election timeout".into(),
        Timer::CollectTimeout => "collect timeout".into(),
        Timer::AcceptTimeout => "accept timeout".into(),
        Timer::LeaseRenew => "lease renew".into(),
        Timer::LeaseAckTimeout => "lease ack timeout".into(),
        Timer::LeaseTimeout => "lease timeout".into(),
        Timer::ProposeTimer => "propose timer".into(),
        Timer::SyncTimeout => "sync timeout".into(),
        Timer::Tick => "tick".into(),
        Timer::Timecheck => "timecheck".into(),
        Timer::MonmapProposeTimer => "monmap propose timer".into(),
        Timer::ClientRetry(tid) => format!("session check of request {tid}"),
        Timer::ClientKeepalive(tid) => format!("keepalive of request {tid}'s session"),
        Timer::PingCheck(r) => format!("ping check of mon.{r}"),
        Timer::DeadPing(r) => format!("dead ping of mon.{r}"),
        Timer::LogProposeTimer => "logm propose timer".into(),
        Timer::HealthProposeTimer => "health propose timer".into(),
        Timer::AuthProposeTimer => "auth propose timer".into(),
        Timer::MdsProposeTimer => "mdsmap propose timer".into(),
        Timer::OsdProposeTimer => "osdmap propose timer".into(),
        Timer::HealthToClogTick => "health to clog tick".into(),
        Timer::HealthToClogInterval => "health to clog interval".into(),
    }
}

/// A note in spans: the plain words (false) and the Ceph detail written in
/// backticks (true), as in "a has crashed (`Paxos::lease_timeout`)". A
/// backtick without its pair is text. Views style the detail as code; they
/// never read a note as markup.
pub fn note_spans(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        let Some(close) = rest[open + 1..].find('`') else {
            break;
        };
        if open > 0 {
            out.push((false, &rest[..open]));
        }
        out.push((true, &rest[open + 1..open + 1 + close]));
        rest = &rest[open + close + 2..];
    }
    if !rest.is_empty() {
        out.push((false, rest));
    }
    out
}

/// A note as plain text (tooltips, screen readers): its backticks dropped.
pub fn note_plain(text: &str) -> String {
    note_spans(text).into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod note_tests {
    use super::*;

    #[test]
    fn a_note_is_plain_words_then_its_ceph_detail() {
        let n = "a has crashed. b and c notice when their lease runs out (`Paxos::lease_timeout`).";
        assert_eq!(
            note_spans(n),
            [
                (
                    false,
                    "a has crashed. b and c notice when their lease runs out ("
                ),
                (true, "Paxos::lease_timeout"),
                (false, ").")
            ]
        );
        assert_eq!(
            note_plain(n),
            "a has crashed. b and c notice when their lease runs out (Paxos::lease_timeout)."
        );
        assert_eq!(
            note_spans("`x` and `y`"),
            [(true, "x"), (false, " and "), (true, "y")]
        );
        // An odd backtick is text; markup stays text.
        assert_eq!(note_spans("a ` b"), [(false, "a ` b")]);
        assert_eq!(note_spans("`<b>`"), [(true, "<b>")]);
        assert!(note_spans("").is_empty());
    }
}
