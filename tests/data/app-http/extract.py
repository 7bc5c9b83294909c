#!/usr/bin/env python3
# extract.py PCAP SERVERPORT [STREAM] > fixture.txt
# Per-packet, in capture order, in-order TCP payload of one TCP stream:
#   "C <hex>" client->server data, "S <hex>" server->client data,
#   "G C <n>" / "G S <n>" n bytes missing (a hole in sequence space).
import subprocess, sys
pcap, sport = sys.argv[1], sys.argv[2]
stream = sys.argv[3] if len(sys.argv) > 3 else '0'
out = subprocess.run(['tshark', '-r', pcap, '-o', 'tcp.relative_sequence_numbers:FALSE',
                      '-Y', 'tcp.stream==' + stream, '-T', 'fields',
                      '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.seq', '-e', 'tcp.flags.syn',
                      '-e', 'tcp.flags.fin', '-e', 'tcp.payload'],
                     capture_output=True, text=True).stdout.splitlines()
nxt = {}
for l in out:
    f = l.split('\t')
    src, dst, seq, syn, fin, pl = f[0], f[1], int(f[2]), f[3], f[4], f[5] if len(f) > 5 else ''
    d = 'S' if src == sport else 'C'
    data = bytes.fromhex(pl.replace(':', ''))
    if syn in ('1', 'True'):
        nxt[d] = (seq + 1) & 0xffffffff
        continue
    if not data:
        continue
    if d not in nxt:
        nxt[d] = seq
    diff = (seq - nxt[d]) & 0xffffffff
    if diff >= 0x80000000:  # old data (retransmission / overlap)
        back = (nxt[d] - seq) & 0xffffffff
        if back >= len(data):
            continue
        data = data[back:]
        seq = nxt[d]
    elif diff > 0:
        print('G %s %d' % (d, diff))
    if data:
        print('%s %s' % (d, data.hex()))
    nxt[d] = (seq + len(data)) & 0xffffffff
