#!/usr/bin/env python3
"""detect-alert.py SENSOR: one real suricata-verify alert test (alerts/bug-5197:
a DNS answer matched by chains of contents with offset, depth, distance and
within) run through the sensor gives exactly the expected alerts: one per
rule, on the answer packet, in the packet's direction, with Suricata's
alert fields; file_data rules match an HTTP response body once per
transaction (http-evader-001); dns.query and tls.cert_* rules match the
DNS request and the client's or the server's certificate; Emerging
Threats Open rules find what they should in real captures (BitTorrent
requests, JA3 hashes and DNS queries that tshark finds in the same
captures); and a capture with no matching payload gives none."""
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


def et_alerts(sensor, t, name, rules, pcap):
    out = os.path.join(t, name)
    os.makedirs(out)
    args = [sensor, "-r", pcap, "-l", out]
    for r in rules:
        args += ["-S", r]
    p = subprocess.run(args, capture_output=True, text=True)
    with open(os.path.join(out, "eve.json")) as f:
        return p.returncode, [e for e in map(json.loads, f) if e["event_type"] == "alert"]


def tshark(pcap, filt, fields):
    p = subprocess.run(["tshark", "-r", pcap, "-Y", filt, "-T", "fields"] +
                       [a for f in fields for a in ("-e", f)], capture_output=True, text=True)
    return [line.split("\t") for line in p.stdout.splitlines()]


def certs_rule(sensor, t, check):
    """tls.certs looks into every certificate of the server's chain: bytes
    that tshark finds only in the second certificate (the CA's) match once,
    bytes of no certificate never."""
    d = os.path.join(SHARED, "data", "suricata-verify", "alerts", "tls__tls-client-cert-01")
    pcap = os.path.join(d, "input.pcap")
    chains = [r[0].split(",") for r in tshark(pcap, "tls.handshake.type == 11",
                                               ["tls.handshake.certificate"])]
    server = [c for c in chains if len(c) == 2]
    ca = server[0][1].replace(":", "") if server else ""
    mid = len(ca) // 4 * 2           # a byte boundary in the middle
    piece = ca[mid:mid + 32]
    rules = os.path.join(t, "certs.rules")
    with open(rules, "w") as f:
        f.write('alert tls any any -> any any (msg:"CA bytes"; tls.certs; content:"|%s|"; sid:10;)\n'
                'alert tls any any -> any any (msg:"no cert"; tls.certs; content:"|%s|"; sid:11;)\n'
                % (piece, "00" * 16))
    rc, alerts = et_alerts(sensor, t, "certs", [rules], pcap)
    check("tls.certs: bytes of the CA certificate (2nd of the server's chain) match once",
          rc == 0 and len(piece) == 32 and all(piece not in c for c in server[0][:1]) and
          [(a["alert"]["signature_id"], a["direction"]) for a in alerts] == [(10, "to_client")])


def start_rule(sensor, t, check):
    """http.start is the request line and the headers, each line ended by
    CRLF, up to the empty line: a rule on the end of the request line, the
    first header line and the last header's end, as tshark shows them."""
    pcap = os.path.join(SHARED, "data", "pcaps", "ndpi", "bt-http.pcapng")
    req = tshark(pcap, "http.request", ["http.request.version", "http.request.line"])[0]
    first = req[1].split(",")[0].replace("\\r\\n", "")
    rules = os.path.join(t, "start.rules")
    with open(rules, "w") as f:
        f.write('alert http any any -> any any (msg:"start"; http.start; content:"%s|0d 0a|%s|0d 0a|"; '
                'content:"|0d 0a 0d 0a|"; endswith; sid:20;)\n'
                % (req[0], first.replace(":", "|3a|")))
        # payload contents beside HTTP buffers look at the message
        f.write('alert http any any -> any any (msg:"mixed"; flow:to_server; content:"%s"; '
                'http.method; content:"GET"; sid:21;)\n'
                'alert http any any -> any any (msg:"mixed, absent"; flow:to_server; '
                'content:"not in this request"; http.method; content:"GET"; sid:22;)\n'
                % first.replace(":", "|3a|"))
        # http.request_header: one header line at a time, "Name: value"
        f.write('alert http any any -> any any (msg:"one header"; http.request_header; '
                'content:"%s"; startswith; endswith; sid:23;)\n'
                'alert http any any -> any any (msg:"two headers in one"; http.request_header; '
                'content:"Host|3a|"; content:"User-Agent"; sid:24;)\n' % first.replace(":", "|3a|"))
    rc, alerts = et_alerts(sensor, t, "start", [rules], pcap)
    check("http.start: request line, first header, final empty line (%s / %s); a payload "
          "content beside http.method matches the request; http.request_header is one "
          "header at a time" % (req[0], first),
          rc == 0 and sorted(a["alert"]["signature_id"] for a in alerts) == [20, 21, 23])


def stream_size_rule(sensor, t, check):
    """stream_size counts a side's sequence space as Suricata does (data,
    SYN and FIN): with the client's data ending at relative sequence N
    (tshark), client,=,N holds after the request and client,=,N+1 after
    its FIN, never more."""
    pcap = os.path.join(SHARED, "data", "pcaps", "ndpi", "bt-http.pcapng")
    pkts = tshark(pcap, "tcp.srcport == 46882 && tcp.len > 0", ["tcp.seq", "tcp.len"])
    n = max(int(s) + int(ln) for s, ln in pkts)
    limit = "threshold:type limit,track by_rule,count 1,seconds 3600;"
    rules = os.path.join(t, "size.rules")
    with open(rules, "w") as f:
        f.write("alert tcp any any -> any any (stream_size:client,=,%d; %s sid:31;)\n"
                "alert tcp any any -> any any (stream_size:client,=,%d; %s sid:32;)\n"
                "alert tcp any any -> any any (stream_size:client,>,%d; sid:33;)\n"
                % (n, limit, n + 1, limit, n + 1))
    rc, alerts = et_alerts(sensor, t, "size", [rules], pcap)
    check("stream_size: client data to %d, then its FIN, never beyond" % n,
          rc == 0 and sorted(a["alert"]["signature_id"] for a in alerts) == [31, 32])


def et_tshark(sensor, t, check):
    """ET Open's JA3 and DNS rules on real captures: each alert where tshark
    sees the client hello with that JA3 hash, or the query for that name."""
    et = os.path.join(SHARED, "data", "rules", "et-open")
    ndpi = os.path.join(SHARED, "data", "pcaps", "ndpi")
    pcap = os.path.join(ndpi, "emotet.pcap")
    rc, alerts = et_alerts(sensor, t, "et-ja3", [os.path.join(et, "emerging-ja3.rules")], pcap)
    hellos = tshark(pcap, "tls.handshake.type == 1", ["tls.handshake.ja3"])
    dridex = [h for h in hellos if h[0] == "51c64c77e60f3980eea90869b68c58a8"]
    check("ET JA3 2028765 (Dridex) once per client hello with that hash (tshark: %d)" %
          len(dridex),
          rc == 0 and len(dridex) > 0 and
          [a["alert"]["signature_id"] for a in alerts] == [2028765] * len(dridex) and
          all(a["app_proto"] == "tls" and a["direction"] == "to_server" and
              a["tls"]["ja3"]["hash"] == dridex[0][0] for a in alerts))
    pcap = os.path.join(ndpi, "tk.pcap")
    rc, alerts = et_alerts(sensor, t, "et-dns", [os.path.join(et, "emerging-dns.rules")], pcap)
    tk = [q for q in tshark(pcap, "dns.flags.response == 0", ["dns.qry.name"])
          if q[0].endswith(".tk")]
    check("ET DNS 2012811 (.tk) once per query for a .tk name (tshark: %d)" % len(tk),
          rc == 0 and len(tk) > 0 and
          [a["alert"]["signature_id"] for a in alerts] == [2012811] * len(tk))


def thresholds(sensor, t, check):
    """threshold.config tunes ET Open's .tk rule (3 alerts on tk.pcap): a
    limit lets one through, a suppression by source or for every rule of
    gen_id 1 none, a suppression of another source all three; broken lines
    are reported with file and line and the rest still applies."""
    rules = [os.path.join(SHARED, "data", "rules", "et-open", "emerging-dns.rules")]
    pcap = os.path.join(SHARED, "data", "pcaps", "ndpi", "tk.pcap")
    cases = [
        ("limit", "threshold gen_id 1, sig_id 2012811, type limit, track by_src, count 1, "
                  "seconds 3600\n", 1),
        ("sup-src", "suppress gen_id 1, sig_id 2012811, track by_src, ip 192.168.1.178\n", 0),
        ("sup-other", "suppress gen_id 1, sig_id 2012811, track by_either, ip [10.0.0.0/8]\n", 3),
        ("sup-all", "# every rule\nsuppress gen_id 1, sig_id 0\n", 0),
        ("broken", "rate_filter gen_id 1, sig_id 2012811, track by_src, count 1, seconds 1, "
                   "new_action drop, timeout 10\nthreshold gen_id 1\n"
                   "event_filter gen_id 1, sig_id 2012811, type limit, track by_dst, count 2, "
                   "seconds 60\n", 2),
    ]
    for name, text, want in cases:
        conf = os.path.join(t, name + ".threshold.config")
        with open(conf, "w") as f:
            f.write(text)
        out = os.path.join(t, "thr-" + name)
        os.makedirs(out)
        args = [sensor, "-r", pcap, "-l", out, "--set", "threshold-file=" + conf]
        for r in rules:
            args += ["-S", r]
        p = subprocess.run(args, capture_output=True, text=True)
        with open(os.path.join(out, "eve.json")) as f:
            n = sum(1 for e in map(json.loads, f) if e["event_type"] == "alert")
        ok = p.returncode == 0 and n == want
        if name == "broken":
            ok = ok and (conf + ":1: rate_filter") in p.stderr and (conf + ":2: ") in p.stderr
        check("threshold.config %s: %d alerts (got %d)" % (name, want, n), ok)


def xbits_rules(sensor, t, check):
    """xbits on a host outlive its flow: each DNS query for whois.dot.tk
    (tshark) marks the client, and each answer to it (a flow of its own)
    sees the mark on its destination; not on its source, not on the pair."""
    pcap = os.path.join(SHARED, "data", "pcaps", "ndpi", "tk.pcap")
    answers = tshark(pcap, "dns.flags.response == 1", ["frame.number"])
    rules = os.path.join(t, "xbits.rules")
    with open(rules, "w") as f:
        f.write('alert udp any any -> any 53 (msg:"asks"; content:"whois"; '
                'xbits:set,asked,track ip_src,expire 3600; sid:50;)\n'
                'alert udp any 53 -> any any (msg:"answer"; xbits:isset,asked,track ip_dst; sid:51;)\n'
                'alert udp any 53 -> any any (msg:"src"; xbits:isset,asked,track ip_src; sid:52;)\n'
                'alert udp any 53 -> any any (msg:"pair"; xbits:isset,asked,track ip_pair; sid:53;)\n'
                'alert udp any 53 -> any any (msg:"unset"; xbits:isnotset,asked,track ip_dst; sid:54;)\n')
    rc, alerts = et_alerts(sensor, t, "xbits", [rules], pcap)
    got = sorted((a["pcap_cnt"], a["alert"]["signature_id"]) for a in alerts
                 if a["alert"]["signature_id"] != 50)
    check("xbits: every answer (tshark: %d) sees its client marked, nothing else" % len(answers),
          rc == 0 and len(answers) > 0 and got == [(int(n[0]), 51) for n in answers])


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
                  a["http"]["hostname"] == "evader.example.com" and a["tx_id"] == 0 and
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
        # dns.query on the request's name (dns-detect-query-01: google.com TXT)
        rc, alerts = run(sensor, "dns__dns-query__dns-detect-query-01", t)
        check("dns.query: one alert on the request, with its tx_id",
              len(alerts) == 1 and alerts[0]["alert"]["signature_id"] == 1 and
              alerts[0]["app_proto"] == "dns" and alerts[0]["direction"] == "to_server" and
              alerts[0]["dest_port"] == 53 and alerts[0].get("tx_id") == 0 and
              alerts[0]["dns"]["queries"][0]["rrname"] == "google.com")
        # tls.cert_subject / issuer / fingerprint of the client's certificate
        rc, alerts = run(sensor, "tls__tls-client-cert-01", t)
        check("tls.cert_*: the client certificate, once, client to server",
              len(alerts) == 1 and alerts[0]["alert"]["signature_id"] == 1 and
              alerts[0]["app_proto"] == "tls" and alerts[0]["direction"] == "to_server" and
              alerts[0]["dest_port"] == 8081 and
              "O=TLSClientAuthSampleClient" in alerts[0]["tls"]["client"]["subject"] and
              alerts[0]["tls"]["sni"] == "localhost")
        # a packet inside VXLAN: the alert names its carrier
        d = os.path.join(SHARED, "data", "suricata-verify", "alerts", "vxlan-decoder-02")
        rc, alerts = et_alerts(sensor, t, "vxlan", [os.path.join(d, "test.rules")],
                               os.path.join(d, "input.pcap"))
        check("VXLAN: four echo requests, each alert with its UDP 4789 carrier",
              rc == 0 and len(alerts) == 4 and
              all(a["tunnel"]["dest_port"] == 4789 and a["tunnel"]["proto"] == "UDP" and
                  a["proto"] == "ICMP" for a in alerts))
        certs_rule(sensor, t, check)
        start_rule(sensor, t, check)
        stream_size_rule(sensor, t, check)
        et_tshark(sensor, t, check)
        thresholds(sensor, t, check)
        xbits_rules(sensor, t, check)
        # the rules of a test that expects no alert at all (bug-2769: the pcre never matches)
        rc, alerts = run(sensor, "bug-2769", t)
        check("bug-2769: no alert", rc == 0 and alerts == [])
    return check.status()


if __name__ == "__main__":
    sys.exit(main())
