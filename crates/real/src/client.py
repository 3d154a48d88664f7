# monscope's Ceph client for real runs: librados, the library the `ceph` CLI
# itself is built on, kept in one process so that a request costs milliseconds
# instead of the ~0.5 s of CPU a `ceph` command spends starting Python.
#
# Protocol (one JSON object per line):
#   stdin:  {"id": N, "handle": "any" | "mon:NAME" | "only:NAME", "cmd": {...}, "timeout": S,
#            "outfile": PATH (optional: the reply's data is written there)}
#   stdout: {"id": N, "rc": RC, "out": TEXT, "status": TEXT}
# "any" is a MonClient that hunts over every monitor in ceph.conf, as the
# `ceph` CLI does; "mon:NAME" talks to that one monitor only (mon_host is its
# address), so its answers are that monitor's own (a peon answers reads from
# its own committed state and forwards writes to its leader). "only:NAME" is
# a "mon:NAME" MonClient of its own for one command, ended after it: a cached
# one learns the whole monmap when it connects and may have hunted to another
# monitor since. (mon_command's `target` is no way: it makes the command a
# `tell`, which a monitor answers only for admin-socket commands.)
# Every request runs in its own thread; the process exits when stdin closes.
import json
import os
import sys
import threading

import rados

CONF = sys.argv[1]
ADDRS = json.loads(sys.argv[2])  # monitor name -> "[v2:IP:PORT]"
out_lock = threading.Lock()
handles = {}
handles_lock = threading.Lock()


def reply(rid, rc, out, status):
    line = json.dumps({"id": rid, "rc": rc, "out": out, "status": status})
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def connect(name, timeout):
    conf = {"client_mount_timeout": str(max(timeout, 1))}
    if ":" in name:
        conf["mon_host"] = ADDRS[name.split(":", 1)[1]]
    h = rados.Rados(conffile=CONF, conf=conf)
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
    once = req["handle"].startswith("only:")
    h = None
    try:
        if once:
            h = connect(req["handle"], timeout if timeout > 0 else 300)
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
