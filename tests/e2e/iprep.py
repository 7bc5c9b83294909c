#!/usr/bin/env python3
"""iprep.py SENSOR: IP reputation on real captures.

An address list written from a real nDPI capture (the busiest public server
of 1kxun.pcap, and a /24 around another one; the addresses are read from
the capture with tshark) gives, with no rule at all, exactly one built-in
alert per flow and direction with a listed address, on the first packet of
that direction, with the signature, category and severity the list's score
asks for; an IPv6 prefix does the same on http_ipv6.pcap.  Emerging
Threats' own compromised-ips.txt alerts on exactly the flows of the capture
whose addresses it lists.  Suricata's categories and reputation files with
iprep rules in a rules file alert as the rules say.  A bad line is
reported with file and line and the rest loads; a list that cannot be read
or a malformed reputation-lists item stops the sensor with a message."""
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter

from checks import Checks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("OT_SHARED", os.path.join(ROOT, "..", "shared"))
NDPI = os.path.join(SHARED, "data", "pcaps", "ndpi")
SID_BASE = 9100000


def run(sensor, pcap, out, *args):
    os.makedirs(out)
    p = subprocess.run([sensor, "-r", pcap, "-l", out] + list(args), capture_output=True,
                       text=True)
    events = []
    if os.path.exists(os.path.join(out, "eve.json")):
        with open(os.path.join(out, "eve.json")) as f:
            events = [json.loads(line) for line in f]
    return p.returncode, p.stderr, events


def packets(pcap, v6=False):
    """frame number -> (src, dst, src port, dst port) of the IP packets of
    pcap (ports 0 but for TCP and UDP), from tshark."""
    field = "ipv6" if v6 else "ip"
    out = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.number",
                          "-e", field + ".src", "-e", field + ".dst", "-e", "tcp.srcport",
                          "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport"],
                         capture_output=True, text=True, check=True).stdout
    pk = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) == 7 and f[1] and f[2]:
            ports = [int(p.split(",")[0]) if p else 0 for p in f[3:]]
            pk[int(f[0])] = (str(ipaddress.ip_address(f[1].split(",")[0])),
                             str(ipaddress.ip_address(f[2].split(",")[0])),
                             ports[0] or ports[2], ports[1] or ports[3])
    return pk


def public(a):
    ip = ipaddress.ip_address(a)
    return ip.is_global and not ip.is_multicast


def expected(events, listed):
    """(flow_id, direction, side) of the alerts the built-in signatures owe:
    one per flow direction with packets, per listed address of it."""
    want = Counter()
    for e in events:
        if e["event_type"] != "flow":
            continue
        c, s, fl = e["src_ip"], e["dest_ip"], e["flow"]
        for direction, n, sender, receiver in (("to_server", fl["pkts_toserver"], c, s),
                                               ("to_client", fl["pkts_toclient"], s, c)):
            if not n:
                continue
            if listed(sender):
                want[(e["flow_id"], direction, 1)] += 1
            if listed(receiver):
                want[(e["flow_id"], direction, 2)] += 1
    return want


def got(events, cat):
    have = Counter()
    for a in events:
        if a["event_type"] == "alert":
            side = (a["alert"]["signature_id"] - SID_BASE - 100 * cat) // 10
            have[(a.get("flow_id"), a.get("direction"), side)] += 1
    return have


def main():
    sensor = os.path.abspath(sys.argv[1])
    check = Checks()
    kxun = os.path.join(NDPI, "1kxun.pcap")
    v6pcap = os.path.join(NDPI, "http_ipv6.pcap")
    et_list = os.path.join(SHARED, "data", "rules", "et-open", "compromised-ips.txt")
    if not (os.path.exists(kxun) and os.path.exists(v6pcap)):
        print("skip: no nDPI captures")
        return 77
    pk = packets(kxun)
    servers = Counter(p[1] for p in pk.values() if public(p[1]))
    busiest, other = [a for a, _ in servers.most_common(2)]
    net = ipaddress.ip_network(other + "/24", strict=False)

    def listed(a):
        return a == busiest or ipaddress.ip_address(a) in net

    with tempfile.TemporaryDirectory() as t:
        lst = os.path.join(t, "bad-hosts.txt")
        with open(lst, "w") as f:
            f.write("# written by iprep.py from 1kxun.pcap\n\n%s\n%s   ; a /24\n"
                    "not-an-address\n192.0.2.0/24\n" % (busiest, net))
        rc, err, ev = run(sensor, kxun, os.path.join(t, "a"),
                          "--set", "reputation-lists=CnC:%s" % lst)
        check("1kxun with a list: the sensor runs", rc == 0)
        check("the bad line is reported with file and line, the rest loads",
              "%s:5: 'not-an-address' is not an IP address; line skipped" % lst in err and
              "reputation: 3 entries from 1 files" in err)
        want = expected(ev, listed)
        alerts = [e for e in ev if e["event_type"] == "alert"]
        check("flows with %s or %s: %d alerts owed" % (busiest, net, sum(want.values())),
              sum(want.values()) >= 4)
        check("one built-in alert per flow direction and listed side, no more",
              got(ev, 1) == want)
        first = {}
        for n in sorted(pk):
            first.setdefault(pk[n], n)
        check("each on the first packet of its flow's direction (by tshark's 5-tuples)",
              all(first.get((a["src_ip"], a["dest_ip"], a.get("src_port", 0),
                             a.get("dest_port", 0))) == a["pcap_cnt"] for a in alerts))
        sigs = {a["alert"]["signature_id"]: a["alert"]["signature"] for a in alerts}
        check("signatures say what happened, sids in the reserved range",
              sigs.get(SID_BASE + 111) == "otasuke IP reputation: traffic from an address on the CnC list" and
              sigs.get(SID_BASE + 121) == "otasuke IP reputation: traffic to an address on the CnC list" and
              set(sigs) == {SID_BASE + 111, SID_BASE + 121})
        check("gid 1, category Misc Attack, severity 1 for score 100",
              all(a["alert"]["gid"] == 1 and a["alert"]["category"] == "Misc Attack" and
                  a["alert"]["severity"] == 1 for a in alerts))

        # reputation-alerts: no turns the built-in signatures off
        rc, err, ev = run(sensor, kxun, os.path.join(t, "off"), "--set",
                          "reputation-lists=CnC:%s" % lst, "--set", "reputation-alerts=no")
        check("reputation-alerts=no: no alert", rc == 0 and
              not [e for e in ev if e["event_type"] == "alert"])

        # IPv6: a /64 of the server of http_ipv6.pcap, score 30: severity 3
        pk6 = packets(v6pcap, v6=True)
        srv6 = Counter(p[1] for p in pk6.values()).most_common(2)[1][0]
        net6 = ipaddress.ip_network(srv6 + "/64", strict=False)
        lst6 = os.path.join(t, "v6.txt")
        with open(lst6, "w") as f:
            f.write("%s\n" % net6)
        rc, err, ev = run(sensor, v6pcap, os.path.join(t, "v6"),
                          "--set", "reputation-lists=Spam:30:%s" % lst6)
        want = expected(ev, lambda a: ":" in a and ipaddress.ip_address(a) in net6)
        check("IPv6 %s: %d alerts owed, all given" % (net6, sum(want.values())),
              rc == 0 and sum(want.values()) >= 2 and got(ev, 1) == want)
        check("IPv6: severity 3 for score 30",
              all(a["alert"]["severity"] == 3 and a["alert"]["signature_id"] % 10 == 3
                  for a in ev if a["event_type"] == "alert"))

        # ET's compromised-ips.txt: alerts for exactly the flows with its addresses
        with open(et_list) as f:
            et = {line.strip() for line in f if line.strip() and not line.startswith("#")}
        rc, err, ev = run(sensor, kxun, os.path.join(t, "et"),
                          "--set", "reputation-lists=Compromised:%s" % et_list)
        want = expected(ev, lambda a: a in et)
        check("ET compromised-ips.txt (%d addresses) loads whole" % len(et),
              rc == 0 and "reputation: %d entries from 1 files" % len(et) in err)
        check("ET compromised-ips.txt: %d alerts owed on 1kxun, as given" % sum(want.values()),
              got(ev, 1) == want)

        # Suricata's files and iprep rules
        cats = os.path.join(t, "categories.txt")
        rep = os.path.join(t, "reputation.list")
        rules = os.path.join(t, "iprep.rules")
        with open(cats, "w") as f:
            f.write("1,CnC,Command and control\n2,Scanner,Scans the Internet\n")
        with open(rep, "w") as f:
            f.write("%s,1,90\n%s,2,20\n" % (busiest, net))
        with open(rules, "w") as f:
            f.write('alert ip any any -> any any (msg:"to CnC"; iprep:dst,CnC,>,50; sid:1;)\n'
                    'alert ip any any -> any any (msg:"low scanner"; iprep:any,Scanner,<,30; '
                    'sid:2;)\n'
                    'alert ip any any -> any any (msg:"high scanner"; iprep:any,Scanner,>,30; '
                    'sid:3;)\n'
                    'alert tcp any any -> any any (msg:"payload from CnC"; dsize:>0; '
                    'iprep:src,CnC,isset; sid:4;)\n')
        rc, err, ev = run(sensor, kxun, os.path.join(t, "rules"), "-S", rules, "--set",
                          "reputation-categories-file=%s" % cats, "--set",
                          "default-reputation-path=%s" % t, "--set",
                          "reputation-files=reputation.list")
        alerts = [e for e in ev if e["event_type"] == "alert"]
        by = Counter(a["alert"]["signature_id"] for a in alerts)
        w1 = expected(ev, lambda a: a == busiest)
        w2 = expected(ev, lambda a: ipaddress.ip_address(a) in net)
        check("iprep:dst,CnC,>,50: one alert per flow direction towards %s" % busiest,
              rc == 0 and by[1] == sum(v for (fid, d, side), v in w1.items() if side == 2))
        check("iprep:any,Scanner,<,30: one per flow direction with an address of %s" % net,
              by[2] == len({(fid, d) for (fid, d, side) in w2}) and by[2] > 0)
        check("iprep:any,Scanner,>,30: none (score 20)", by[3] == 0)
        payload = subprocess.run(["tshark", "-r", kxun, "-Y", "ip.src==%s && tcp.len>0" % busiest,
                                  "-T", "fields", "-e", "frame.number"],
                                 capture_output=True, text=True).stdout.split()
        check("iprep with dsize (not IP-only): every TCP packet with payload from %s (%d)" %
              (busiest, len(payload)),
              len(payload) > 0 and sorted(str(a["pcap_cnt"]) for a in alerts
                                          if a["alert"]["signature_id"] == 4) == sorted(payload, key=str))
        check("Suricata files alone raise no built-in alert",
              not [a for a in alerts if a["alert"]["signature_id"] >= SID_BASE])

        # problems that stop the sensor
        rc, err, ev = run(sensor, kxun, os.path.join(t, "missing"),
                          "--set", "reputation-lists=CnC:%s/nope.txt" % t)
        check("a list that cannot be read: exit 1, naming it",
              rc == 1 and "%s/nope.txt: No such file or directory" % t in err)
        rc, err, ev = run(sensor, kxun, os.path.join(t, "item"),
                          "--set", "reputation-lists=CnC:500:%s" % lst)
        check("a malformed reputation-lists item: exit 1, saying what is expected",
              rc == 1 and "expected CATEGORY:SCORE:FILE" in err)
    return check.status()


if __name__ == "__main__":
    sys.exit(main())
