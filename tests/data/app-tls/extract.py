#!/usr/bin/env python3
"""Cut the TLS handshake of one TCP flow out of a capture into a small
fixture for test-app-tls: a sequence of segments, each one byte of
direction (0 = client to server, 1 = server to client), a 2-byte big-endian
length and the TCP payload, in capture order, retransmissions left out.
It starts at the first TLS record and stops once both sides have sent
a ChangeCipherSpec or application data (or at the end of the flow).

usage: extract.py CAPTURE STREAM_INDEX OUT [MAX_BYTES]
"""
import subprocess
import struct
import sys

cap, stream, out = sys.argv[1], sys.argv[2], sys.argv[3]
max_bytes = int(sys.argv[4]) if len(sys.argv) > 4 else 16384
fields = ["tcp.srcport", "tcp.flags.syn", "tcp.flags.ack", "tcp.payload",
          "tcp.analysis.retransmission", "tls.record.content_type"]
cmd = ["tshark", "-r", cap, "-Y", "tcp.stream==%s" % stream, "-T", "fields",
       "-o", "tcp.desegment_tcp_streams:FALSE"]
for f in fields:
    cmd += ["-e", f]
lines = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
client_port = None
started = False
appdata = [False, False]
blob = b""
for ln in lines:
    port, syn, ack, payload, retr, ctypes = (ln.split("\t") + [""] * 6)[:6]
    if client_port is None:
        if syn == "1" and ack == "0":
            client_port = port
        continue
    if not payload or retr:
        continue
    data = bytes.fromhex(payload)
    d = 0 if port == client_port else 1
    if not started:
        if not (data[0] in (0x16,) or data[0] & 0x80):
            continue
        started = True
    if len(blob) + 3 + len(data) > max_bytes:
        break
    blob += struct.pack(">BH", d, len(data)) + data
    if {"20", "23"} & set(ctypes.split(",")):
        appdata[d] = True
    if all(appdata):
        break
open(out, "wb").write(blob)
print(out, len(blob))
