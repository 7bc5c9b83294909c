#!/usr/bin/env python3
"""detect-alert.py SENSOR: one real suricata-verify alert test (alerts/bug-5197:
a DNS answer matched by chains of contents with offset, depth, distance and
within) run through the sensor gives exactly the expected alerts: one per
rule, on the answer packet, in the packet's direction, with Suricata's
alert fields; file_data rules match an HTTP response body once per
transaction (http-evader-001); Emerging Threats Open rules find what they
should in a real BitTorrent capture; and a capture with no matching payload
gives none."""
import json
import os
import subprocess
import sys
import tempfile

from checks import Checks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("OT_SHARED", os.path.join(ROOT, "..", "shared"))
# tests compile the prefilter's patterns each time: no cache left behind
NO_CACHE = ["--set", "detect.cache-dir="]


def run(sensor, test, t):
    d = os.path.join(SHARED, "data", "suricata-verify", "alerts", test)
    out = os.path.join(t, test)
    os.makedirs(out)
    p = subprocess.run([sensor, "-r", os.path.join(d, "input.pcap"), "-S",
                        os.path.join(d, "test.rules"), "-l", out, "-k", "none"] + NO_CACHE,
                       capture_output=True, text=True)
    with open(os.path.join(out, "eve.json")) as f:
        events = [json.loads(line) for line in f]
    return p.returncode, [e for e in events if e["event_type"] == "alert"]


def main():
    sensor = os.path.abspath(sys.argv[1])
    check = Checks()

    with tempfile.TemporaryDirectory() as t:
        rc, alerts = run(sensor, "bug-5197", t)
        check("the sensor runs with the test's rules", rc == 0)
        check("seven alerts, one per rule", sorted(a["alert"]["signature_id"] for a in alerts) ==
              [1, 2, 3, 4, 5, 6, 7])
        for a in alerts:
            sid = a["alert"]["signature_id"]
            check("sid %d: on the answer (packet 2), server to client" % sid,
                  a["pcap_cnt"] == 2 and a["src_ip"] == "1.1.1.1" and a["src_port"] == 53 and
                  a["dest_ip"] == "10.127.0.9" and a["dest_port"] == 56429 and a["proto"] == "UDP")
            check("sid %d: alert fields" % sid,
                  a["alert"]["action"] == "allowed" and a["alert"]["gid"] == 1 and
                  a["alert"]["rev"] == 0 and a["alert"]["severity"] == 3 and
                  a.get("app_proto") == "dns" and a["flow"]["pkts_toserver"] == 1 and
                  a["flow"]["pkts_toclient"] == 1 and a["flow_id"] > 0)
        # HTTP transactions: file_data rules on a response body (http-evader-001)
        rc, alerts = run(sensor, "http-evader__http-evader-001", t)
        check("http-evader-001: sids 1 and 2 once each",
              sorted(a["alert"]["signature_id"] for a in alerts) == [1, 2])
        check("http-evader-001: from the server, in an http flow",
              all(a["src_ip"] == "8.8.8.8" and a["src_port"] == 80 and a["dest_port"] == 5022 and
                  a["direction"] == "to_client" and a["app_proto"] == "http" and
                  a["alert"]["signature"].startswith("EICAR file data") for a in alerts))
        # Emerging Threats Open P2P rules (with their classification.config) on a real
        # BitTorrent capture: two HTTP request rules, category, severity, metadata
        rules = os.path.join(SHARED, "data", "rules", "et-open", "emerging-p2p.rules")
        pcap = os.path.join(SHARED, "data", "pcaps", "ndpi", "bt-http.pcapng")
        if os.path.exists(rules) and os.path.exists(pcap):
            out = os.path.join(t, "et-p2p")
            os.makedirs(out)
            p = subprocess.run([sensor, "-r", pcap, "-s", rules, "-l", out] + NO_CACHE,
                               capture_output=True, text=True)
            with open(os.path.join(out, "eve.json")) as f:
                alerts = [e for e in map(json.loads, f) if e["event_type"] == "alert"]
            check("ET Open on bt-http: the announce and the Transmission user agent",
                  p.returncode == 0 and
                  sorted(a["alert"]["signature_id"] for a in alerts) == [2011699, 2102180])
            ann = [a for a in alerts if a["alert"]["signature_id"] == 2102180]
            check("ET Open 2102180: category, severity and metadata as arrays",
                  len(ann) == 1 and ann[0]["alert"]["rev"] == 7 and
                  ann[0]["alert"]["category"] == "Potential Corporate Privacy Violation" and
                  ann[0]["alert"]["severity"] == 1 and
                  ann[0]["alert"]["metadata"] == {"created_at": ["2010_09_23"],
                                                  "updated_at": ["2020_04_21"]} and
                  ann[0]["src_ip"] == "192.168.1.128" and ann[0]["dest_port"] == 80 and
                  ann[0]["direction"] == "to_server" and ann[0]["app_proto"] == "http")
        # the rules of a test that expects no alert at all (bug-2769: the pcre never matches)
        rc, alerts = run(sensor, "bug-2769", t)
        check("bug-2769: no alert", rc == 0 and alerts == [])
    return check.status()


if __name__ == "__main__":
    sys.exit(main())
