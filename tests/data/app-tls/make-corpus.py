#!/usr/bin/env python3
"""Write the seed corpus of fuzz-app-tls (tests/fuzz/corpus/app-tls/) from
the .seg fixtures next to this script, in the fuzz target's input layout:
a count byte, up to 15 script bytes (bit 7 = to client, bits 0-5 = n for
an n*n-byte chunk, 0 = the rest), then the stream.  Each seed is the first
segments of a fixture that fit in 4 KiB."""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "..", "fuzz", "corpus", "app-tls")
os.makedirs(out, exist_ok=True)


def squares(n):
    """n as a short sum of squares of 1..63 (greedy)."""
    parts = []
    while n > 0:
        k = min(63, int(n ** 0.5))
        parts.append(k)
        n -= k * k
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
    seed = bytes([len(script)] + script) + stream
    with open(os.path.join(out, name[:-4]), "wb") as f:
        f.write(seed)
    print(name[:-4], len(seed), len(script))
