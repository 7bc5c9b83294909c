#!/usr/bin/env python3
"""ndpi-packets: every nDPI capture is read without a crash or sanitizer
report, and no packet is lost between reading and the flow table.

For each capture, the packets are counted independently (by Wireshark's
capinfos), and the sensor's output must show:
  stats.decoder.pkts == that count, and
  sum of flow.pkts_toserver + pkts_toclient over all flow events ==
  packets read - packets that cannot have a flow (not IP, ARP, malformed,
  fragments held for reassembly, bad checksums), as its stats itemise them,
  + the UDP datagrams carrying a tunnel (VXLAN, Teredo), which count in
  their own flow as well as in the tunnelled one.
Usage: ndpi-packets.py SENSOR [PCAP_DIR]
"""
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor


def count_packets(path):
    """The packets in a capture, as Wireshark's capinfos counts them."""
    p = subprocess.run(["capinfos", "-c", "-M", "-T", "-r", path],
                       capture_output=True, text=True)
    fields = p.stdout.strip().split("\t")
    if len(fields) != 2 or not fields[1].isdigit():
        return None
    return int(fields[1])


def check(sensor, pcap):
    name = os.path.basename(pcap)
    expect = count_packets(pcap)
    if expect is None:
        return None
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.run([sensor, "-k", "none", "-r", pcap, "-l", out],
                           capture_output=True, timeout=600)
        err = p.stderr.decode(errors="replace")
        if p.returncode != 0 or "Sanitizer" in err or "runtime error" in err:
            return "%s: exit %d: %s" % (name, p.returncode, err.strip()[-600:])
        flow_pkts, stats = 0, None
        with open(os.path.join(out, "eve.json")) as f:
            for line in f:
                e = json.loads(line)
                if e["event_type"] == "flow":
                    flow_pkts += e["flow"]["pkts_toserver"] + e["flow"]["pkts_toclient"]
                elif e["event_type"] == "stats":
                    stats = e["stats"]
    if stats is None:
        return "%s: no stats event" % name
    d = stats["decoder"]
    if d["pkts"] != expect:
        return "%s: read %d packets, the file has %d" % (name, d["pkts"], expect)
    noflow = d["other"] + d["arp"] + d["invalid"] + d["defrag"]["held"] + d["checksum_dropped"]
    carriers = stats["flow"]["tunnel_carrier_pkts"]
    if flow_pkts != d["pkts"] - noflow + carriers:
        return "%s: flows hold %d packets, expected %d (read %d, without a flow %d, tunnel carriers %d)" % (
            name, flow_pkts, d["pkts"] - noflow + carriers, d["pkts"], noflow, carriers)
    if stats["flow"]["pkts"] + carriers != flow_pkts:
        return "%s: flow events hold %d packets, the flow table counted %d" % (
            name, flow_pkts, stats["flow"]["pkts"])
    return ""


def main():
    sensor = os.path.abspath(sys.argv[1])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    shared = os.environ.get("OT_SHARED", os.path.join(root, "..", "shared"))
    pdir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(shared, "data", "pcaps", "ndpi")
    files = sorted(os.path.join(pdir, f) for f in os.listdir(pdir)
                   if f.endswith((".pcap", ".pcapng", ".cap")))
    with ThreadPoolExecutor(2) as ex:
        results = list(ex.map(lambda f: check(sensor, f), files))
    bad = [r for r in results if r]
    checked = sum(1 for r in results if r is not None)
    for r in bad:
        print("FAIL " + r)
    print("%d captures checked, %d failed" % (checked, len(bad)))
    if checked < 500:
        print("FAIL: expected at least 500 readable captures in %s" % pdir)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
