#!/usr/bin/env python3
"""Write the seed corpus of fuzz-app-tls (tests/fuzz/corpus/app-tls/) from
the .seg fixtures next to this script, in the fuzz driver's input layout
(tests/fuzz/fuzz-app.h): a count byte with the TCP bit, up to 15 script
bytes (bit 7 = to client, bits 0-5 = n for an n*n+1-byte chunk), then the
stream.  Each seed is the first
segments of a fixture that fit in 4 KiB."""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "..", "fuzz", "corpus", "app-tls")
os.makedirs(out, exist_ok=True)


def squares(n):
    """n as a short sum of k*k+1 for k in 1..63 (greedy; a lone last byte
    is rounded up to two)."""
    parts = []
    while n > 0:
        k = max(1, min(63, int(max(n - 1, 0) ** 0.5)))
        parts.append(k)
        n -= k * k + 1
    return parts


def segments(path):
    b = open(path, "rb").read()
    i = 0
    while i < len(b):
        d, l = struct.unpack(">BH", b[i:i + 3])
        yield d, b[i + 3:i + 3 + l]
        i += 3 + l


for name in sorted(os.listdir(here)):
    if not name.endswith(".seg"):
        continue
    script, stream = [], b""
    for d, data in segments(os.path.join(here, name)):
        parts = squares(len(data))
        if len(script) + len(parts) > 15 or len(stream) + len(data) + 16 > 4096:
            break
        script += [(0x80 if d else 0) | k for k in parts]
        stream += data
    if not stream:
        continue
    seed = bytes([0x10 | len(script)] + script) + stream
    with open(os.path.join(out, name[:-4]), "wb") as f:
        f.write(seed)
    print(name[:-4], len(seed), len(script))
