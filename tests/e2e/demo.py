#!/usr/bin/env python3
"""demo.py SENSOR: the demo's own capture (scripts/demo-pcap) read by the
sensor gives exactly the office day it describes: the DNS lookups, both web
requests, both TLS handshakes with their names and certificate, the broken
packet, and three TCP sessions that closed cleanly."""
import json
import os
import subprocess
import sys
import tempfile

from checks import Checks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    sensor = os.path.abspath(sys.argv[1])
    check = Checks()

    with tempfile.TemporaryDirectory() as t:
        pcap = os.path.join(t, "office.pcap")
        subprocess.run([os.path.join(ROOT, "scripts", "demo-pcap"), pcap], check=True,
                       stdout=subprocess.DEVNULL)
        p = subprocess.run([sensor, "-r", pcap, "-l", t, "--summary"], capture_output=True, text=True)
        check("the sensor reads the demo capture", p.returncode == 0)
        check("the summary says where eve.json is", os.path.join(t, "eve.json") in p.stdout)
        ev = [json.loads(l) for l in open(os.path.join(t, "eve.json"))]

    def find(kind, **want):
        out = []
        for e in ev:
            if e["event_type"] != kind:
                continue
            ok = True
            for k, v in want.items():
                cur = e
                for part in k.split("__"):
                    cur = cur.get(part) if isinstance(cur, dict) else None
                if cur != v:
                    ok = False
            if ok:
                out.append(e)
        return out

    queries = sorted((q["rrname"], q["rrtype"]) for e in find("dns", dns__type="request")
                     for q in e["dns"]["queries"])
    check("DNS lookups", queries == sorted([
        ("wpad.corp.example.com", "A"), ("www.example.com", "A"), ("www.example.com", "AAAA"),
        ("portal.example.org", "A"), ("api.example.net", "A")]))
    check("the NXDOMAIN answer", len(find("dns", dns__type="response", dns__rcode="NXDOMAIN")) == 1)
    cname = find("dns", dns__type="response", dns__queries=[{"rrname": "api.example.net", "rrtype": "A"}])
    check("the CNAME chain answer", len(cname) == 1 and
          [a["rrtype"] for a in cname[0]["dns"].get("answers", [])] == ["CNAME", "CNAME", "A"])
    check("GET / answered 200 (chunked)", len(find("http", http__url="/", http__status=200,
                                                  http__hostname="www.example.com")) == 1)
    check("the pipelined GET answered 304", len(find("http", http__status=304)) == 1)
    tls12 = find("tls", tls__sni="portal.example.org")
    check("TLS 1.2 handshake with SNI and certificate", len(tls12) == 1 and
          tls12[0]["tls"].get("version") == "TLS 1.2" and
          tls12[0]["tls"].get("subject") == "C=JP, O=Example Org, CN=portal.example.org" and
          len(tls12[0]["tls"].get("ja3", {}).get("hash", "")) == 32 and
          tls12[0]["tls"].get("client_alpns") == ["h2", "http/1.1"])
    check("TLS 1.3 handshake", len(find("tls", tls__sni="api.example.net", tls__version="TLS 1.3")) == 1)
    check("the broken packet is an anomaly at packet 25",
          len(find("anomaly", anomaly__event="decoder.ipv4.trunc_pkt", pcap_cnt=25)) == 1)
    tcp = find("flow", proto="TCP")
    check("three TCP sessions, all closed, as http, tls, tls",
          sorted(f.get("app_proto") for f in tcp) == ["http", "tls", "tls"] and
          all(f["flow"]["state"] == "closed" for f in tcp))
    stats = find("stats")
    check("every packet counted", len(stats) == 1 and stats[0]["stats"]["decoder"]["pkts"] == 69)
    return check.status()


if __name__ == "__main__":
    sys.exit(main())
