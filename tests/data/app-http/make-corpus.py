#!/usr/bin/env python3
# make-corpus.py: write the seed corpus of tests/fuzz/fuzz-app-http.c
# (tests/fuzz/corpus/app-http/) from the fixtures beside this file.
# Layout (see the fuzz target): byte 0 = number of script bytes; script
# byte = dir (bit 7) | gap (bit 6) | n, chunk length n*n+1 (n=0: the rest).
import gzip, math, os, sys

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, '..', '..', 'fuzz', 'corpus', 'app-http')

def load(name):
    op = gzip.open if name.endswith('.gz') else open
    with op(os.path.join(here, name), 'rt') as f:
        res = []
        for l in f:
            l = l.strip()
            if l.startswith('G'):
                res.append((l[2], None, int(l[4:])))
            else:
                res.append((l[0], bytes.fromhex(l[2:]), 0))
        return res

def seed(chunks, limit=3800):
    """Concatenate same-direction runs; pad each run but the last with
    bytes that do not change its meaning so its length is n*n+1."""
    runs = []
    for d, data, gap in chunks:
        if data is None:
            runs.append((d, None, gap))
        elif runs and runs[-1][0] == d and runs[-1][1] is not None:
            runs[-1] = (d, runs[-1][1] + data, 0)
        else:
            runs.append((d, data, 0))
    script, body = [], b''
    for i, (d, data, gap) in enumerate(runs[:15]):
        bit = 0x80 if d == 'S' else 0
        if data is None:
            n = max(1, min(63, int(math.isqrt(max(gap - 1, 0)))))
            script.append(bit | 0x40 | n)
            continue
        last = i == min(len(runs), 15) - 1
        if last:
            script.append(bit)
            body += data
            break
        n = math.isqrt(max(len(data) - 1, 0))
        if n * n + 1 < len(data):
            n += 1
        if n > 63:
            data, n = data[:63 * 63 + 1], 63
        pad = n * n + 1 - len(data)
        # requests tolerate leading CRLFs of the next one; bodies do not
        # matter for a seed
        body += data + b'\r\n' * (pad // 2) + b'\n' * (pad % 2)
        script.append(bit | n)
        if len(body) > limit:
            break
    return bytes([len(script)]) + bytes(script) + body[:limit]

os.makedirs(out, exist_ok=True)
for name in sorted(os.listdir(here)):
    if not (name.endswith('.txt') or name.endswith('.txt.gz')):
        continue
    s = seed(load(name))
    with open(os.path.join(out, name.split('.')[0]), 'wb') as f:
        f.write(s)
extra = {
    'chunked-trailer': b'\x02\x06\x80' + b'POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n'[:37]
                       + b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'continue': b'\x00POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc',
    'http09': b'\x00GET /\r\n',
}
for k, v in extra.items():
    with open(os.path.join(out, k), 'wb') as f:
        f.write(v)
