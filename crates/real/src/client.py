# monscope's Ceph client for real runs: librados, the library the `ceph` CLI
# itself is built on, kept in one process so that a request costs milliseconds
# instead of the ~0.5 s of CPU a `ceph` command spends starting Python.
#
# Protocol (one JSON object per line):
#   stdin:  {"id": N, "handle": "any" | "mon:NAME" | "first:NAME", "mons": [NAME...],
#            "cmd": {...}, "timeout": S,
#            "outfile": PATH (optional: the reply's data is written there)}
#   stdout: {"id": N, "rc": RC, "out": TEXT, "status": TEXT}
# "any" is a MonClient that hunts over every monitor in ceph.conf, as the
# `ceph` CLI does; "mon:NAME" talks to that one monitor (mon_host_override is
# its address), so its answers are that monitor's own. "first:NAME" is a
# MonClient of its own for one command, as one `ceph` command is, ended after
# it: its first session is with NAME alone (mon_host_override) and, when that
# session fails, it hunts over every monitor of the monmap it was sent; when
# NAME does not answer at all, it moves on to the others of "mons" after its
# first hunting tick (see connect). The scenario's `set` options are in
# ceph.conf's [global], so every MonClient here follows them (the hunt
# interval, its backoff and multiples, mon_client_hunt_parallel). A scenario's `via NAME`.
# (mon_command's `target` is no way: it makes the command a `tell`, which a
# monitor answers only for admin-socket commands.)
# Every request runs in its own thread; the process exits when stdin closes.
import json
import math
import os
import sys
import threading

import rados

CONF = sys.argv[1]
ADDRS = json.loads(sys.argv[2])  # monitor name -> "[v2:IP:PORT]"
out_lock = threading.Lock()
handles = {}
handles_lock = threading.Lock()
conf_lock = threading.Lock()


def reply(rid, rc, out, status):
    line = json.dumps({"id": rid, "rc": rc, "out": out, "status": status})
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def first_conf(name, mons):
    """ceph.conf without mon_host, and a [mon.X] section per monitor of
    `mons` with its address and priority (NAME 0, the others 1; all 1 when
    NAME is not one of them)."""
    path = os.path.join(os.path.dirname(CONF), "client.first.%s.%s.conf" % (name, "-".join(mons)))
    with conf_lock:
        if os.path.exists(path):
            return path
        with open(CONF) as f:
            lines = [l for l in f.read().splitlines() if not l.strip().startswith("mon host")]
        for m in mons:
            lines += [
                "[mon.%s]" % m,
                # v2: the section's address is otherwise read as legacy (v1)
                "mon addr = %s" % ADDRS[m].strip("[]"),
                "mon priority = %d" % (0 if m == name else 1),
            ]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
    return path


def connect(name, timeout, mons=()):
    conf = {"client_mount_timeout": str(max(timeout, 1))}
    conffile = CONF
    kind, _, mon = name.partition(":")
    if kind == "mon":
        # mon_host alone reaches only librados' bootstrap session (below)
        conf["mon_host"] = conf["mon_host_override"] = ADDRS[mon]
    elif kind == "first":
        # librados' bootstrap MonClient (MonClient::get_monmap_and_config)
        # hands the cluster's monmap to every later MonClient of the process
        # (MonClient::handle_monmap: cct->set_mon_addrs), and the command's
        # MonClient then picks among all its monitors at random: `mon
        # priority` reaches only the bootstrap's session. mon_host_override
        # comes before both (MonMap::build_initial), so the command's session
        # is with NAME; once connected it has the whole monmap and hunts as
        # any MonClient. If NAME does not answer within
        # mon_client_hunt_interval, the others, as a MonClient whose first
        # session never opened moves on.
        others = [m for m in mons if m in ADDRS and m != mon]
        # A new MonClient's first tick while hunting: mon_client_hunt_interval
        # times reopen_interval_multiplier, which its constructor sets to
        # mon_client_hunt_interval_min_multiple (MonClient::schedule_tick).
        c = rados.Rados(conffile=CONF)
        hunt = int(math.ceil(
            float(c.conf_get("mon_client_hunt_interval"))
            * float(c.conf_get("mon_client_hunt_interval_min_multiple"))))
        try:
            first = dict(conf, mon_host_override=ADDRS[mon], client_mount_timeout=str(max(hunt, 1)))
            return open_handle(CONF, first, max(hunt, 1))
        except Exception:
            if not others:
                raise
        conffile = first_conf(mon, others)
    return open_handle(conffile, conf, timeout)


def open_handle(conffile, conf, timeout):
    h = rados.Rados(conffile=conffile, conf=conf)
    try:
        h.connect(timeout=max(timeout, 1))
    except Exception:
        try:
            h.shutdown()
        except Exception:
            pass
        raise
    return h


def handle_for(name, timeout):
    # One lock per handle: a monitor that does not answer delays only its own.
    with handles_lock:
        lock = handles.setdefault(("lock", name), threading.Lock())
    with lock:
        h = handles.get(name)
        if h is not None:
            return h
        h = connect(name, timeout)
        handles[name] = h
        return h


def serve(req):
    rid = req["id"]
    timeout = int(req.get("timeout", 0))
    once = req["handle"].startswith("first:")
    h = None
    try:
        if once:
            h = connect(req["handle"], timeout if timeout > 0 else 300, req.get("mons", []))
        else:
            h = handle_for(req["handle"], timeout if timeout > 0 else 300)
        rc, outb, status = h.mon_command(json.dumps(req["cmd"]), b"", timeout=timeout)
        if req.get("outfile") and rc == 0:
            with open(req["outfile"], "wb") as f:
                f.write(outb)
            outb = b""
        reply(rid, rc, outb.decode("utf-8", "replace"), status)
    except Exception as e:  # a timeout, a refused connection: the caller decides
        reply(rid, -110, "", "%s: %s" % (type(e).__name__, e))
    finally:
        if once and h is not None:
            threading.Thread(target=h.shutdown, daemon=True).start()


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        threading.Thread(target=serve, args=(req,), daemon=True).start()
    # librados threads may still wait on a monitor that is gone: leave at once.
    os._exit(0)


main()
