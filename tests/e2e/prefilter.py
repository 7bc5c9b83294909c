#!/usr/bin/env python3
"""prefilter.py SENSOR: the multi-pattern prefilter only leaves out rules
that cannot match.  The whole Emerging Threats Open ruleset runs over a
handful of nDPI captures that raise alerts of every kind (UDP and TCP
payload rules, HTTP transaction rules, IP reputation rules) with the
prefilter and with detect.prefilter off: the alerts, as (signature_id,
pcap_cnt, addresses, ports), must be the same and not none.  The prefilter's cache is
checked on the way: a first run compiles every database into an empty
folder, a second loads them all from it, and a run after one file was
damaged compiles that one again, with a warning, and raises the same
alerts."""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

from checks import Checks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("OT_SHARED", os.path.join(ROOT, "..", "shared"))
RULES = os.path.join(SHARED, "data", "rules", "et-open")
PCAPS = os.path.join(SHARED, "data", "pcaps", "ndpi")
CAPTURES = ["dns-tunnel-iodine.pcap", "gnutella.pcap", "log4j-webapp-exploit.pcap", "emotet.pcap",
            "exe_download.pcap", "webdav.pcap", "tor.pcap", "iec60780-5-104.pcap",
            "mining.pcapng", "stun.pcap", "bt-http.pcapng"]


def run(sensor, inp, out, settings):
    """Exit code, the alerts as a multiset of (sid, pcap_cnt, addresses and ports),
    and the sensor's stderr."""
    os.makedirs(out)
    args = [sensor, "-r", inp, "-l", out, "-k", "none",
            "--set", "classification-file=" + os.path.join(RULES, "classification.config")]
    for f in sorted(os.listdir(RULES)):
        if f.endswith(".rules"):
            args += ["-S", os.path.join(RULES, f)]
    for s in settings:
        args += ["--set", s]
    p = subprocess.run(args, capture_output=True, text=True)
    alerts = collections.Counter()
    with open(os.path.join(out, "eve.json")) as f:
        for e in map(json.loads, f):
            if e["event_type"] == "alert":
                # alerts at a flow's end have no packet: their flow tells them apart
                alerts[(e["alert"]["signature_id"], e.get("pcap_cnt"), e.get("src_ip"),
                        e.get("src_port"), e.get("dest_ip"), e.get("dest_port"))] += 1
    return p.returncode, alerts, p.stderr


def built(err):
    """(compiled, from the cache) in the prefilter's notice, or None."""
    m = re.search(r"prefilter: \d+ fast patterns in \d+ databases \((\d+) compiled, (\d+) from the cache",
                  err)
    return (int(m.group(1)), int(m.group(2))) if m else None


def main():
    sensor = os.path.abspath(sys.argv[1])
    check = Checks()
    if not os.path.isdir(RULES) or not all(os.path.exists(os.path.join(PCAPS, c)) for c in CAPTURES):
        print("no ET Open rules or nDPI captures under %s" % SHARED)
        return 77
    with tempfile.TemporaryDirectory() as t:
        inp = os.path.join(t, "in")
        os.makedirs(inp)
        for c in CAPTURES:
            os.symlink(os.path.join(PCAPS, c), os.path.join(inp, c))
        cache = os.path.join(t, "cache")
        rc, off, _ = run(sensor, inp, os.path.join(t, "off"), ["detect.prefilter=no"])
        check("without the prefilter: the sensor runs", rc == 0)
        check("without the prefilter: alerts (%d)" % sum(off.values()), sum(off.values()) > 50)

        rc, cold, err = run(sensor, inp, os.path.join(t, "cold"), ["detect.cache-dir=" + cache])
        n = built(err)
        # databases that come out the same (UDP or ICMP both ways) share a
        # file: the second finds the first's
        total = sum(n) if n else -1
        files = sorted(os.listdir(cache)) if os.path.isdir(cache) else []
        check("cold: every database compiled or made just before (%s)" % (n,),
              rc == 0 and n is not None and n[0] > 0 and len(files) == n[0])
        check("cold: the same alerts as without the prefilter", cold == off)

        rc, warm, err = run(sensor, inp, os.path.join(t, "warm"), ["detect.cache-dir=" + cache])
        m = built(err)
        check("cached: every database from the cache (%s)" % (m,),
              rc == 0 and m == (0, total))
        check("cached: the same alerts", warm == off)

        big = max(files, key=lambda f: os.path.getsize(os.path.join(cache, f)))
        with open(os.path.join(cache, big), "r+b") as f:
            f.seek(os.path.getsize(os.path.join(cache, big)) // 2)
            b = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([b[0] ^ 0xff]))
        rc, fixed, err = run(sensor, inp, os.path.join(t, "fixed"), ["detect.cache-dir=" + cache])
        m = built(err)
        check("damaged file: compiled again, with a warning (%s)" % (m,),
              rc == 0 and m == (1, total - 1) and
              "prefilter cache %s is corrupt" % os.path.join(cache, big) in err)
        check("damaged file: the same alerts", fixed == off)
        rc, again, err = run(sensor, inp, os.path.join(t, "again"), ["detect.cache-dir=" + cache])
        check("damaged file: rewritten, then loaded", built(err) == (0, total))
    return check.status()


if __name__ == "__main__":
    sys.exit(main())
