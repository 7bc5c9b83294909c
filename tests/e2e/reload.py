#!/usr/bin/env python3
"""reload.py SENSOR: rules reloaded on SIGHUP while packets flow.

The sensor reads a real capture (nDPI's 1kxun.pcap) from a FIFO that this
script fills in three parts, with a configuration file naming a rules file.
Part 1 is matched by the first rules (every TCP payload packet alerts sid 1;
a silent rule sets a flowbit and a flowint on each flow with payload).
Once the sensor has read all of part 1 and waits for more, the rules file
and the configuration (which now adds a reputation list holding the
capture's busiest server) are replaced and SIGHUP sent; part 2 follows.
Then the rules file is replaced by one without a usable rule and SIGUSR2
sent: the reload is refused and part 3 is matched by the second rules.

Checked: the first rules alert on part 1 only and the second on parts 2
and 3 only, together on every TCP payload packet exactly once (no packet
lost or inspected twice at the swap); the flowbit and the flowint set
before the reload are seen by the new rules, under their new ids, on
exactly the flows that had them; the reloaded reputation list alerts
after the reload only; the refused reload says why and changes nothing;
the stats count every packet, one reload and one refusal; and every flow
is logged once with the same packet and byte counts as in a plain run of
the same capture."""
import json
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

from checks import Checks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("OT_SHARED", os.path.join(ROOT, "..", "shared"))
PCAP = os.path.join(SHARED, "data", "pcaps", "ndpi", "1kxun.pcap")
WAIT = 60       # seconds to wait for the sensor before giving up (a guard, not a measure)

RULES_1 = """\
alert tcp any any -> any any (msg:"first rules: payload"; dsize:>0; sid:1;)
alert tcp any any -> any any (msg:"mark the flow"; dsize:>0; flowbits:set,seen; flowint:n,+,1; noalert; sid:2;)
"""
# names sorting before "seen" and "n" give them other ids in the new engine
RULES_2 = """\
alert tcp any any -> any any (msg:"second rules: payload"; dsize:>0; sid:10;)
alert tcp any any -> any any (msg:"flowbit from before the reload"; dsize:>0; flowbits:isset,seen; sid:11;)
alert tcp any any -> any any (msg:"flowint from before the reload"; dsize:>0; flowint:n,isset; sid:12;)
alert tcp any any -> any any (msg:"other names"; dsize:>0; flowbits:isset,aaa; flowint:a,isset; sid:13;)
"""


def records(path):
    """The global header and the records of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    end = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    recs, pos = [], 24
    while pos + 16 <= len(data):
        incl = struct.unpack(end + "I", data[pos + 8:pos + 12])[0]
        recs.append(data[pos:pos + 16 + incl])
        pos += 16 + incl
    return data[:24], recs


def events(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def flow_counts(evs):
    keys = ("src_ip", "src_port", "dest_ip", "dest_port", "proto")
    out = Counter()
    for e in evs:
        if e["event_type"] == "flow":
            fl = e["flow"]
            out[tuple(e.get(k) for k in keys) + (fl["pkts_toserver"], fl["pkts_toclient"],
                                                 fl["bytes_toserver"], fl["bytes_toclient"],
                                                 fl["start"], fl["end"])] += 1
    return out


def wait_idle(pid, fd):
    """Until the FIFO is empty and the sensor's packet thread waits in
    read(): everything written so far has been inspected."""
    import fcntl
    import termios
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        left = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
        with open("/proc/%d/syscall" % pid) as f:
            blocked_in_read = f.read().split()[0] == "0"
        if left == 0 and blocked_in_read:
            return True
        time.sleep(0.01)
    return False


class Stderr:
    """The sensor's diagnostics, collected as they come."""
    def __init__(self, pipe):
        self.lines, self.cv = [], threading.Condition()
        threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe):
        for line in pipe:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()

    def wait_for(self, text):
        with self.cv:
            return self.cv.wait_for(lambda: any(text in l for l in self.lines), timeout=WAIT)

    def text(self):
        with self.cv:
            return "\n".join(self.lines)


def main():
    sensor = os.path.abspath(sys.argv[1])
    check = Checks()
    if not os.path.exists(PCAP):
        print("skip: no nDPI captures")
        return 77
    header, recs = records(PCAP)
    split1, split2 = len(recs) * 2 // 5, len(recs) * 7 // 10
    with tempfile.TemporaryDirectory() as t:
        # the reference: the whole capture in one plain run with the first rules
        ref_rules = os.path.join(t, "ref.rules")
        with open(ref_rules, "w") as f:
            f.write(RULES_1)
        os.makedirs(os.path.join(t, "ref"))
        subprocess.run([sensor, "-r", PCAP, "-S", ref_rules, "-l", os.path.join(t, "ref")],
                       check=True, capture_output=True)
        ref = events(os.path.join(t, "ref", "eve.json"))
        payload = sorted(a["pcap_cnt"] for a in ref if a["event_type"] == "alert")
        busiest = Counter(a["dest_ip"] for a in ref if a["event_type"] == "alert" and
                          not a["dest_ip"].startswith("192.168.")).most_common(1)[0][0]

        rules = os.path.join(t, "local.rules")
        conf = os.path.join(t, "otasuke.yaml")
        listfile = os.path.join(t, "bad.txt")
        with open(rules, "w") as f:
            f.write(RULES_1)
        with open(conf, "w") as f:
            f.write("default-rule-path: %s\nrule-files:\n  - local.rules\n" % t)
        with open(listfile, "w") as f:
            f.write("%s\n" % busiest)
        fifo = os.path.join(t, "in.pcap")
        os.mkfifo(fifo)
        log = os.path.join(t, "log")
        os.makedirs(log)
        p = subprocess.Popen([sensor, "-c", conf, "-r", fifo, "-l", log],
                             stderr=subprocess.PIPE, text=True)
        err = Stderr(p.stderr)
        w = os.open(fifo, os.O_WRONLY)
        try:
            os.write(w, header + b"".join(recs[:split1]))
            check("the sensor inspected part 1 and waits for more", wait_idle(p.pid, w))
            with open(rules, "w") as f:
                f.write(RULES_2)
            with open(conf, "a") as f:
                f.write("reputation-lists: [ 'CnC:%s' ]\n" % listfile)
            p.send_signal(signal.SIGHUP)
            check("SIGHUP: the new rules are built while the packets wait",
                  err.wait_for("they take over at the next packet"))
            os.write(w, b"".join(recs[split1:split2]))
            check("the reload is done once a packet came", err.wait_for("reload done"))
            check("the sensor inspected part 2 and waits for more", wait_idle(p.pid, w))
            with open(rules, "w") as f:
                f.write("alert tcp any any -> any any (this is not a rule)\n")
            p.send_signal(signal.SIGUSR2)
            check("a broken rules file: the reload is refused, saying why",
                  err.wait_for("reload refused: 1 rule file has rules of which none can be "
                               "used (above); the rules in use stay") and
                  "local.rules: none of its 1 rules can be used" in err.text())
            os.write(w, b"".join(recs[split2:]))
        finally:
            os.close(w)
        rc = p.wait(timeout=WAIT)
        check("the sensor ends cleanly at the end of the input", rc == 0)
        ev = events(os.path.join(log, "eve.json"))

    alerts = [e for e in ev if e["event_type"] == "alert"]
    by = {}
    for a in alerts:
        by.setdefault(a["alert"]["signature_id"], []).append(a)
    cnt = {sid: sorted(a["pcap_cnt"] for a in v) for sid, v in by.items()}
    first, second = cnt.get(1, []), cnt.get(10, [])
    check("the first rules alert on part 1 only (%d alerts)" % len(first),
              first and max(first) <= split1)
    check("the second rules alert on parts 2 and 3 only (%d alerts), also after the refusal" %
          len(second), second and min(second) > split1 and max(second) > split2)
    check("together: every TCP payload packet once, as in a plain run (%d)" % len(payload),
          sorted(first + second) == payload)
    before = {a["flow_id"] for a in by.get(1, [])}
    owed = sorted(a["pcap_cnt"] for a in by.get(10, []) if a["flow_id"] in before)
    check("the flowbit set before the reload is seen after it, on those flows only (%d)" %
          len(owed), owed and cnt.get(11) == owed)
    check("the flowint set before the reload is seen after it, on those flows only",
          cnt.get(12) == owed)
    check("names the first rules did not have are not set", 13 not in cnt)
    rep = [a for a in alerts if a["alert"]["signature_id"] >= 9100000]
    check("the reputation list added by the reload alerts after it only (%d)" % len(rep),
          rep and min(a["pcap_cnt"] for a in rep) > split1 and
          all(busiest in (a["src_ip"], a["dest_ip"]) for a in rep))
    stats = [e for e in ev if e["event_type"] == "stats"][-1]["stats"]
    check("stats: every packet read (%d)" % len(recs), stats["decoder"]["pkts"] == len(recs))
    check("stats: one reload, one refused",
          stats["detect"]["reloads"] == 1 and stats["detect"]["reload_failures"] == 1)
    check("stats: the rules in use at the end are the second ones and the reputation's",
          stats["detect"]["rules_loaded"] == 4 + 2)
    check("every flow logged once, with the packets and bytes of a plain run",
          flow_counts(ev) == flow_counts(ref) and max(flow_counts(ev).values()) == 1)
    if check.failed:
        print(err.text())
    return check.status()


if __name__ == "__main__":
    sys.exit(main())
