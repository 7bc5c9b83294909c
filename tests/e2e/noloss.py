#!/usr/bin/env python3
"""noloss.py OTASUKED OTASUKECTL SENSOR BACKEND: no event is lost or stored
twice while a sensor uploads more than 100,000 events to otasuked through
a server killed with SIGKILL and a connection that breaks (issue 4).

Real parts only: otasuked on a temporary state folder (SQLite, or
PostgreSQL under tests/pg-run), otasukectl for the tenant and the token,
`otasuke-sensor --enroll`, then the sensor reading the nDPI captures
PASSES times over (one run, so that every flow gets its own flow_id and
every event line is unique) and uploading what it writes, in batches of
500, through a TCP proxy of this script's own.  While it uploads:

1. once 10,000 events are stored, otasuked is killed with SIGKILL while a
   batch is on its way, stays down for two seconds, and starts again on
   the same port and state;
2. once 20,000 more are stored, the proxy drops a connection after the
   server answered a batch and before the sensor got the answer (the batch
   is stored, the sensor does not know it), then one in the middle of a
   batch's body, then refuses every connection and cuts those open for
   three seconds.

Then the sensor exits once its spool is empty, and the store must hold
every line of its eve.json (the truth) exactly once, compared by content
(host and tenant aside: the server sets them), and nothing else."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

from checks import Checks
from e2eutil import eve_lines, upload_sets, wait_for
from otasuked import Otasuked

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("OT_SHARED", os.path.join(ROOT, "..", "shared"))
NDPI = os.path.join(SHARED, "data", "pcaps", "ndpi")
PASSES = 9                  # about 12,500 events each
# bytes from the client, since the server last sent any, past which a
# batch's body is under way (the TLS handshake sends less)
REQUEST_BYTES = 8192
CHUNK = 4096


class Link:
    """One proxied connection."""
    def __init__(self, client, server):
        self.client, self.server = client, server
        self.sent = 0           # client bytes since the server last sent any


class Proxy:
    """A TCP proxy from a port of its own to the server's that fails when
    told: arm("reply") drops the next connection whose request went through
    instead of passing on the answer, arm("request") drops the next one in
    the middle of its request, down() refuses connections and cuts those
    open until up().  in_flight is set whenever a request is under way."""
    def __init__(self, upstream):
        self.upstream = upstream
        self.lock = threading.Lock()
        self.links = set()
        self.armed = None
        self.done = Counter()
        self.in_flight = threading.Event()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.listener = None
        self.up()

    def up(self):
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(64)
        ls.settimeout(0.05)
        self.serving = True
        self.listener = threading.Thread(target=self.accept, args=(ls,), daemon=True)
        self.listener.start()

    def down(self):
        self.serving = False
        self.listener.join()
        with self.lock:
            links = list(self.links)
        for link in links:
            self.cut(link)

    def arm(self, what):
        with self.lock:
            self.armed = what

    def accept(self, ls):
        with ls:
            while self.serving:
                try:
                    client, _ = ls.accept()
                except socket.timeout:
                    continue
                client.settimeout(None)
                try:
                    server = socket.create_connection(("127.0.0.1", self.upstream))
                except OSError:
                    client.close()      # the server is down: the client sees it closed
                    continue
                link = Link(client, server)
                with self.lock:
                    self.links.add(link)
                threading.Thread(target=self.pump, args=(link, True), daemon=True).start()
                threading.Thread(target=self.pump, args=(link, False), daemon=True).start()

    def cut(self, link):
        with self.lock:
            self.links.discard(link)
        for s in (link.client, link.server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def pump(self, link, upward):
        src, dst = (link.client, link.server) if upward else (link.server, link.client)
        while True:
            try:
                data = src.recv(CHUNK)
            except OSError:
                break
            if not data:
                break
            fail = None
            with self.lock:
                if upward:
                    before = link.sent
                    link.sent += len(data)
                    if link.sent > REQUEST_BYTES:
                        self.in_flight.set()
                        if self.armed == "request" and before >= CHUNK:
                            fail = "request"
                else:
                    if self.armed == "reply" and link.sent > REQUEST_BYTES:
                        fail = "reply"
                    link.sent = 0
                if fail:
                    self.armed = None
                    self.done[fail] += 1
            if fail:
                break
            try:
                dst.sendall(data)
            except OSError:
                break
        self.cut(link)


def captures(t):
    """A folder holding every nDPI capture PASSES times over, in order."""
    d = os.path.join(t, "captures")
    os.makedirs(d)
    names = sorted(n for n in os.listdir(NDPI) if n.endswith((".pcap", ".pcapng")))
    for p in range(PASSES):
        for n in names:
            os.symlink(os.path.join(NDPI, n), os.path.join(d, "%d-%s" % (p, n)))
    return d


def canonical(line):
    """An event as text that does not depend on member order or on the
    host and tenant members."""
    e = json.loads(line)
    e.pop("host", None)
    e.pop("tenant", None)
    return json.dumps(e, sort_keys=True)


def main():
    otasuked, ctl, sensor, backend = sys.argv[1:5]
    # the sensor honours proxy settings, as libcurl does; all is local here
    for v in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        os.environ.pop(v, None)
    check = Checks()
    t = tempfile.mkdtemp(prefix="otasuked-noloss-")
    os.chmod(t, 0o755)  # the server may run as nobody
    srv = proxy = p = None
    try:
        srv = Otasuked(otasuked, ctl, t, backend,
                       ["ingest:", "  rate-limit:", "    events-per-second: 0"])
        check("otasuked starts", srv.port is not None)
        if srv.port is None:
            return check.status()
        port = srv.port
        srv.ctl("tenant", "add", "noloss")
        rc, out, _ = srv.ctl("token", "create", "noloss")
        token = re.search(r"^token: (\S+)", out, re.M).group(1)
        proxy = Proxy(port)
        url = "https://127.0.0.1:%d" % proxy.port
        dev = os.path.join(t, "device")
        e = subprocess.run([sensor, "--enroll", url, "--token", token, "--ca", srv.ca,
                            "--name", "noloss", "--state-dir", dev], capture_output=True, text=True)
        check("the sensor enrolls through the proxy", e.returncode == 0)
        if e.returncode:
            print(e.stderr)
            return check.status()

        logdir, spool, errf = os.path.join(t, "log"), os.path.join(t, "spool"), os.path.join(t, "err")
        args = [sensor, "-r", captures(t), "-l", logdir, "-k", "none", "--set", "sensor.id=noloss"]
        args += upload_sets(url, dev, spool, **{"upload.batch.max-events": "500",
                                                "upload.retry.max-delay": "500",
                                                "upload.drain-timeout": "300"})
        with open(errf, "w") as ef:
            p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=ef)

        def stored():
            return int(srv.sql("SELECT count(*) FROM events") or 0)

        # 1: kill -9 while a batch is on its way, restart
        started = wait_for(lambda: stored() >= 10000, 120)
        proxy.in_flight.clear()
        proxy.in_flight.wait(30)
        srv.kill()
        at_kill = stored()
        time.sleep(2)
        srv.start()
        check("otasuked, killed with SIGKILL after %d events stored while a batch was on its way, "
              "starts again on the same port" % at_kill, started and srv.port == port)

        # 2: the connection breaks
        resumed = wait_for(lambda: stored() >= at_kill + 20000, 120)
        proxy.arm("reply")
        lost_reply = wait_for(lambda: proxy.done["reply"], 60)
        proxy.arm("request")
        cut_request = wait_for(lambda: proxy.done["request"], 60)
        proxy.down()
        time.sleep(3)
        at_cut = stored()
        proxy.up()
        check("uploads resume; a connection drops before an answer, one inside a request, then "
              "none for 3 s (%d events stored by then)" % at_cut,
              resumed and lost_reply and cut_request)

        rc = p.wait(timeout=600)
        p = None
        eve = eve_lines(logdir)
        with open(errf) as f:
            err = f.read()
        check("the sensor wrote more than 100,000 events (%d) and exits 0 once all are sent" %
              len(eve), len(eve) > 100000 and rc == 0)
        check("the faults struck while events were still to be sent", at_cut < len(eve))
        check("the sensor said delivery resumed after the server's death and after the cut",
              len(re.findall(r"takes events again", err)) >= 2)
        left = [n for n in os.listdir(spool) if n.endswith((".ndjson", ".gz"))]
        check("the spool is empty", not left)

        want = Counter(canonical(line) for line in eve)
        got = Counter(canonical(r[0]) for r in srv.rows("SELECT body FROM events"))
        missing, extra = want - got, got - want
        check("every event of eve.json is stored exactly once, none extra "
              "(%d stored, %d missing, %d extra)" % (sum(got.values()), sum(missing.values()),
                                                     sum(extra.values())),
              not missing and not extra)
        answered = len(re.findall(r"POST /api/v1/events 200", open(srv.log).read()))
        batches = int(srv.sql("SELECT count(*) FROM batches"))
        check("batches stored but not acknowledged were sent again and answered duplicate "
              "(%d answers 200, %d batches)" % (answered, batches), answered > batches)
        check("otasuked stops cleanly on SIGTERM", srv.stop() == 0)
        srv = None
    finally:
        if p:
            p.kill()
            p.wait()
        if proxy:
            proxy.down()
        if srv:
            srv.stop()
        shutil.rmtree(t, ignore_errors=True)
    return check.status()


if __name__ == "__main__":
    sys.exit(main())
