#!/usr/bin/env python3
"""ndpi-packets: every nDPI capture is read without a crash or sanitizer
report, and no packet is lost between reading and the flow table.

For each capture, the packets are counted here independently (pcap and
pcapng record walkers below), and the sensor's output must show:
  stats.decoder.pkts == that count, and
  sum of flow.pkts_toserver + pkts_toclient over all flow events ==
  packets read - packets that cannot have a flow (not IP, ARP, malformed,
  fragments held for reassembly, bad checksums), as its stats itemise them.
Usage: ndpi-packets.py SENSOR [PCAP_DIR]
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor


def count_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    elif magic == b"\x0a\x0d\x0d\x0a":
        return count_pcapng(data)
    else:
        raise ValueError("not a capture file")
    off, n = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        if off + 16 + incl > len(data):
            break
        off += 16 + incl
        n += 1
    return n


def count_pcapng(data):
    off, n, endian = 0, 0, "<"
    while off + 12 <= len(data):
        btype = struct.unpack(endian + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
        blen = struct.unpack(endian + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        if btype in (3, 6):  # simple / enhanced packet block
            n += 1
        off += blen
    return n


def check(sensor, pcap):
    name = os.path.basename(pcap)
    try:
        expect = count_pcap(pcap)
    except ValueError:
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
    if flow_pkts != d["pkts"] - noflow:
        return "%s: flows hold %d packets, expected %d (read %d, without a flow %d)" % (
            name, flow_pkts, d["pkts"] - noflow, d["pkts"], noflow)
    if stats["flow"]["pkts"] != flow_pkts:
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
