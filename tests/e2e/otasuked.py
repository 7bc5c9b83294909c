"""otasuked.py - a real otasuked for the end-to-end scripts: its
configuration and state in a temporary folder, started and waited for
until it logs its port and "ready:", stopped with SIGTERM or killed with
SIGKILL and started again on the same port and state; otasukectl with the
same configuration, and SQL on the server's database (sqlite3, or psql
with OT_PG_CONNINFO under tests/pg-run)."""
import os
import re
import sqlite3
import subprocess
import time


class Otasuked:
    def __init__(self, otasuked, ctl, t, backend, config=()):
        """config: more lines of the configuration file (sections other
        than listen, state-dir, logging and store)."""
        self.t = t
        self.bin, self.ctl_bin, self.backend = otasuked, ctl, backend
        self.state = os.path.join(t, "state")
        self.conf = os.path.join(t, "otasuked.yaml")
        self.log = os.path.join(t, "otasuked.log")
        self.ca = os.path.join(self.state, "ca", "ca.pem")
        lines = ["listen: 127.0.0.1:0", "state-dir: " + self.state,
                 "logging:", "  file: " + self.log, "  level: info"] + list(config)
        if backend == "postgresql":
            lines += ["store:", "  backend: postgresql",
                      "  postgresql:", "    conninfo: '%s'" % os.environ["OT_PG_CONNINFO"]]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.port = None
        self.start()

    def start(self):
        """Start it (again: on the port it had); self.port is None when it
        did not become ready."""
        seen = os.path.getsize(self.log) if os.path.exists(self.log) else 0
        args = [self.bin, "-c", self.conf]
        if self.port:
            args += ["--set", "listen=127.0.0.1:%d" % self.port]
        self.proc = subprocess.Popen(args)
        self.port = None
        for _ in range(400):
            text = open(self.log).read()[seen:] if os.path.exists(self.log) else ""
            m = re.search(r"listening on https://127\.0\.0\.1:(\d+)/", text)
            if m and "ready:" in text:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.url = "https://127.0.0.1:%s/api/v1/" % self.port

    def ctl(self, *args):
        p = subprocess.run([self.ctl_bin, "-c", self.conf] + list(args),
                           capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    def rows(self, query):
        """The rows of query, each a tuple of texts."""
        if self.backend == "postgresql":
            # unit and record separators: JSON text holds neither unescaped
            out = subprocess.run(["psql", "-qAt", "-F", "\x1f", "-R", "\x1e",
                                  os.environ["OT_PG_CONNINFO"], "-c", query],
                                 capture_output=True, text=True).stdout.rstrip("\n")
            return [tuple(r.split("\x1f")) for r in out.split("\x1e") if r]
        db = sqlite3.connect(os.path.join(self.state, "otasuke.db"), timeout=30,
                             isolation_level=None)
        try:
            return [tuple("" if v is None else str(v) for v in r) for r in db.execute(query)]
        finally:
            db.close()

    def sql(self, query):
        """The rows of query as text, one a line, columns separated by '|'."""
        return "\n".join("|".join(r) for r in self.rows(query))

    def stop(self):
        self.proc.terminate()
        return self.proc.wait(timeout=30)

    def kill(self):
        self.proc.kill()
        self.proc.wait()
