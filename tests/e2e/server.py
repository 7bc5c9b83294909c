#!/usr/bin/env python3
"""server.py OTASUKED OTASUKECTL SENSOR BACKEND: otasuked end to end, the way
an operator and a device use it, on BACKEND (sqlite, or postgresql under
tests/pg-run, which sets OT_PG_CONNINFO).

The server starts on a temporary state folder and a free loopback port;
otasukectl adds tenants (names full of SQL metacharacters) and tokens; a
device enrolls with a key and CSR made by `openssl req` and sent by curl;
then it uploads, with curl and its client certificate, gzip NDJSON batches
made from the sensor's own eve.json of the nDPI captures.  Checked: every
event stored once (counted by otasukectl and in the database itself, with
tenant and host set from the certificate), a repeated batch answered
duplicate and stored once, bad lines rejected by number while the good
ones are kept, 401 without or with a foreign certificate and for
expired tokens, 403 once revoked,
413 beyond the size and line limits, 415 for what is not gzip NDJSON, 429
with Retry-After past the device's rate, tokens single-use, and on
PostgreSQL, 503 while the database is stopped and the retried batch stored
once when it is back."""
import gzip
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from checks import Checks
from otasuked import Otasuked

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("OT_SHARED", os.path.join(ROOT, "..", "shared"))

TENANT_A = "Pharmacy O'Hara\"; DROP TABLE tenants;--"
TENANT_B = "workshop %_ \\ tab\there"
DEVICE_NAME = "gw'); DELETE FROM events;-- 薬局"
# the rate limit lets the first batches through and stops the device later
RATE, BURST = 1, 15000


def curl(srv, path, body, headers=(), cert=None, t=None, tag="", extra=()):
    """POST body (bytes) with curl; returns (status, parsed JSON or None, headers text).
    Calls running at once need their own tag (their files' suffix)."""
    bodyf = os.path.join(t, "body" + tag)
    with open(bodyf, "wb") as f:
        f.write(body)
    hdrf, outf = os.path.join(t, "headers" + tag), os.path.join(t, "out" + tag)
    cmd = ["curl", "-sS", "--cacert", srv.ca, "-o", outf, "-D", hdrf,
           "-w", "%{http_code}", "-X", "POST", "--data-binary", "@" + bodyf] + list(extra)
    for h in headers:
        cmd += ["-H", h]
    if cert:
        cmd += ["--cert", cert[0], "--key", cert[1]]
    p = subprocess.run(cmd + [srv.url + path], capture_output=True, text=True)
    try:
        status = int(p.stdout.strip() or 0)
    except ValueError:
        status = 0
    try:
        reply = json.load(open(outf))
    except (OSError, ValueError):
        reply = None
    hdrs = open(hdrf).read() if os.path.exists(hdrf) else ""
    return status, reply, hdrs


def new_key_csr(t, name):
    key, csr = os.path.join(t, name + ".key"), os.path.join(t, name + ".csr")
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-subj",
                    "/CN=whatever the device likes", "-out", csr],
                   check=True, capture_output=True)
    return key, open(csr).read()


def enroll(srv, t, token, name, kind="sensor", csr=None):
    key, own_csr = new_key_csr(t, "dev-" + secrets.token_hex(4))
    body = json.dumps({"token": token, "name": name, "kind": kind,
                       "csr": own_csr if csr is None else csr}).encode()
    status, reply, _ = curl(srv, "enroll", body, ["Content-Type: application/json"], t=t)
    cert = None
    if status == 200:
        cert = key[:-4] + ".pem"
        with open(cert, "w") as f:
            f.write(reply["certificate"])
    return status, reply, (cert, key)


def batch_headers(batch_id, gz=True, ctype="application/x-ndjson"):
    h = ["Content-Type: " + ctype, "X-Otasuke-Batch: " + batch_id]
    if gz:
        h.append("Content-Encoding: gzip")
    return h


def main():
    otasuked, ctl, sensor, backend = sys.argv[1:5]
    check = Checks()
    t = tempfile.mkdtemp(prefix="otasuked-e2e-")
    os.chmod(t, 0o755)  # the server may run as nobody
    srv = None
    try:
        # a real eve.json: the sensor on the nDPI captures
        subprocess.run([sensor, "-r", os.path.join(SHARED, "data", "pcaps", "ndpi"), "-l", t,
                        "-k", "none", "--set", "sensor.id=office-gw"],
                       check=True, capture_output=True)
        eve = open(os.path.join(t, "eve.json"), "rb").read().splitlines(keepends=True)
        check("the sensor wrote more than 10,000 events", len(eve) > 10000)

        srv = Otasuked(otasuked, ctl, t, backend, [
            "http:", "  max-buffered: 8mb",
            "ingest:", "  max-bytes: 4mb", "  max-lines: 10000",
            "  rate-limit:", "    events-per-second: %d" % RATE, "    burst: %d" % BURST])
        check("otasuked starts and logs its port", srv.port is not None)
        if srv.port is None:
            return check.status()
        check("the CA was created, its key readable by its owner only",
              os.stat(os.path.join(srv.state, "ca", "ca.key")).st_mode & 0o077 == 0)

        rc, tid_a, _ = srv.ctl("tenant", "add", TENANT_A)
        tid_a = tid_a.strip()
        check("otasukectl tenant add prints the new tenant's id", rc == 0 and len(tid_a) == 36)
        rc, tid_b, _ = srv.ctl("tenant", "add", TENANT_B)
        tid_b = tid_b.strip()
        rc, _, err = srv.ctl("tenant", "add", TENANT_A)
        check("a second tenant of the same name is refused", rc != 0 and "exists" in err)

        rc, out, _ = srv.ctl("token", "create", TENANT_A, "--ttl", "1h")
        tok = dict(l.split(": ", 1) for l in out.splitlines() if ": " in l)
        check("token create prints the token, the CA file and its fingerprint",
              rc == 0 and tok.get("token", "").startswith(tid_a + ".") and
              tok.get("ca-file") == srv.ca and re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}",
                                                            tok.get("ca-sha256", "")))
        rc, _, err = srv.ctl("token", "create", TENANT_A, "--ttl", "soon")
        check("a bad --ttl is refused with a message", rc == 2 and "--ttl soon" in err)

        # enrollment
        status, reply, dev = enroll(srv, t, tok["token"], DEVICE_NAME, csr="not a CSR")
        check("a bad CSR is refused with 400 and the token stays usable",
              status == 400 and reply["error"] == "bad_csr")
        status, reply, dev = enroll(srv, t, tok["token"], DEVICE_NAME)
        check("enrollment answers the device id, tenant id, certificate and CA",
              status == 200 and reply["tenant_id"] == tid_a and len(reply["device_id"]) == 36
              and reply["ca"] == open(srv.ca).read())
        dev_id = reply["device_id"] if reply else ""
        subj = subprocess.run(["openssl", "x509", "-in", dev[0], "-noout", "-subject", "-enddate",
                               "-ext", "extendedKeyUsage"], capture_output=True, text=True).stdout
        check("the certificate names the device (CN) and tenant (O), for client auth only",
              "CN = " + dev_id in subj and "O = " + tid_a in subj and
              "TLS Web Client Authentication" in subj and "Server" not in subj)
        status, reply, _ = enroll(srv, t, tok["token"], "second device")
        check("a token is single-use (401)", status == 401 and reply["error"] == "invalid_token")
        status, reply, _ = enroll(srv, t, tid_a + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x")
        check("an unknown token is refused (401)", status == 401)
        status, _, _ = enroll(srv, t, "garbage", "x")
        check("a malformed token is refused (401)", status == 401)
        rc, out, _ = srv.ctl("token", "create", TENANT_B)
        old = re.search(r"^token: (\S+)", out, re.M).group(1)
        srv.sql("UPDATE enroll_tokens SET expires_us = 0 WHERE tenant_id = '%s'" % tid_b)
        status, reply, _ = enroll(srv, t, old, "late")
        check("an expired token is refused (401) and says so",
              status == 401 and "expired" in reply["message"])
        status, reply, _ = enroll(srv, t, tok["token"], "x", kind="toaster")
        check("an unknown kind is refused (400) naming the field",
              status == 400 and "'kind'" in reply["message"])
        rc, out, _ = srv.ctl("device", "list", TENANT_A)
        check("device list shows the device with its name verbatim",
              rc == 0 and dev_id in out and DEVICE_NAME in out and "active" in out)

        # uploads
        batches = [b"".join(eve[i:i + 5000]) for i in range(0, len(eve), 5000)]
        ids = [secrets.token_hex(16) for _ in batches]
        ok = True
        for bid, body in zip(ids, batches):
            status, reply, _ = curl(srv, "events", gzip.compress(body), batch_headers(bid), dev, t)
            ok = ok and status == 200 and reply["accepted"] == body.count(b"\n") and \
                not reply["duplicate"] and reply["rejected"] == [] and reply["batch"] == bid
        check("every line of the sensor's eve.json is accepted (%d batches)" % len(batches), ok)
        rc, out, _ = srv.ctl("events", "count", TENANT_A)
        check("otasukectl counts every event once (%d)" % len(eve),
              rc == 0 and out.strip() == str(len(eve)))
        status, reply, _ = curl(srv, "events", gzip.compress(batches[0]), batch_headers(ids[0]), dev, t)
        check("a batch sent again is answered duplicate with its first counts",
              status == 200 and reply["duplicate"] and reply["accepted"] == 5000)
        rc, out, _ = srv.ctl("events", "count", TENANT_A)
        check("... and nothing is stored twice", out.strip() == str(len(eve)))
        stored = srv.sql("SELECT count(*) FROM events WHERE tenant_id = '%s' AND device_id = '%s'"
                         % (tid_a, dev_id))
        rewritten = srv.sql("SELECT count(*) FROM events WHERE body LIKE '%%\"host\":\"%s\"%%' "
                            "AND body LIKE '%%\"tenant\":\"%s\"%%'" % (dev_id, tid_a))
        check("the database holds each event once, host and tenant set from the certificate",
              stored == str(len(eve)) and rewritten == str(len(eve)))

        mixed = (b'{"event_type":"alert","timestamp":"2024-05-01T09:30:00.000001+0900","host":"spoof","tenant":"' +
                 tid_b.encode() + b'"}\n'
                 b'not json\n'
                 b'["a list"]\n'
                 b'{"timestamp":"2024-05-01T09:30:00Z"}\n'
                 b'{"event_type":"dns","timestamp":"yesterday"}\n'
                 b'\n' +
                 eve[0] +
                 b'{"event_type":"x\'); DROP TABLE events;--","timestamp":"2024-05-01T09:30:00Z"}\n')
        status, reply, _ = curl(srv, "events", gzip.compress(mixed), batch_headers(secrets.token_hex(16)),
                                dev, t)
        rejected = {r["line"]: r["error"] for r in (reply or {}).get("rejected", [])}
        check("bad lines are rejected by number with why, the good ones kept",
              status == 200 and reply["accepted"] == 2 and sorted(rejected) == [2, 3, 4, 5, 6, 8]
              and "not JSON" in rejected[2] and "object" in rejected[3]
              and "event_type" in rejected[4] and "timestamp" in rejected[5]
              and "empty" in rejected[6] and "event_type" in rejected[8])
        check("a spoofed tenant in an event is overwritten",
              srv.sql("SELECT count(*) FROM events WHERE body LIKE '%%\"host\":\"spoof\"%%' "
                      "OR tenant_id <> '%s'" % tid_a) == "0" and
              srv.sql("SELECT count(*) FROM events WHERE tenant_id = '%s'" % tid_b) == "0")
        rc, out, _ = srv.ctl("events", "count", TENANT_B)
        check("the other tenant has no events", rc == 0 and out.strip() == "0")

        plain = b"".join(eve[:10])
        status, reply, _ = curl(srv, "events", plain, batch_headers(secrets.token_hex(16), gz=False), dev, t)
        check("an uncompressed batch is accepted too", status == 200 and reply["accepted"] == 10)

        # refusals
        status, reply, _ = curl(srv, "events", gzip.compress(plain), batch_headers(secrets.token_hex(16)), None, t)
        check("no client certificate: 401", status == 401 and reply["error"] == "no_certificate")
        fk, fc = os.path.join(t, "foreign.key"), os.path.join(t, "foreign.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", fk, "-out", fc, "-days", "1",
                        "-subj", "/CN=%s/O=%s" % (dev_id, tid_a)], check=True, capture_output=True)
        status, reply, _ = curl(srv, "events", gzip.compress(plain), batch_headers(secrets.token_hex(16)),
                                (fc, fk), t)
        check("a certificate the CA did not sign: 401", status == 401 and reply["error"] == "bad_certificate")
        status, _, _ = curl(srv, "events", plain, batch_headers(secrets.token_hex(16), ctype="text/plain"), dev, t)
        check("not NDJSON: 415", status == 415)
        status, reply, _ = curl(srv, "events", plain, batch_headers(secrets.token_hex(16)), dev, t)
        check("'gzip' that is not gzip: 415", status == 415 and reply["error"] == "bad_encoding")
        status, _, _ = curl(srv, "events", gzip.compress(plain), batch_headers("NOT-HEX"), dev, t)
        check("a bad batch id: 400", status == 400)
        many = b'{"event_type":"x","timestamp":"2024-01-01T00:00:00Z"}\n' * 10001
        status, reply, _ = curl(srv, "events", gzip.compress(many), batch_headers(secrets.token_hex(16)), dev, t)
        check("more than max-lines: 413", status == 413 and "10001 lines" in reply["message"])
        big = b"".join(eve)
        status, reply, _ = curl(srv, "events", gzip.compress(big), batch_headers(secrets.token_hex(16)), dev, t)
        check("more than max-bytes once decompressed: 413", status == 413 and "decompressed" in reply["message"])
        status, reply, _ = curl(srv, "events", big, batch_headers(secrets.token_hex(16), gz=False), dev, t)
        check("a body larger than allowed: 413 before it is read", status == 413)
        rc, out, _ = srv.ctl("events", "count", TENANT_A)
        check("nothing refused was stored", out.strip() == str(len(eve) + 2 + 10))

        if backend == "postgresql":
            # the database goes away: 503, nothing lost; it comes back: the
            # same batch, sent again as a device would, is stored once
            subprocess.run(os.environ["OT_PG_CTL"] + " stop", shell=True, check=True)
            bid = secrets.token_hex(16)
            status, reply, hdrs = curl(srv, "events", gzip.compress(plain), batch_headers(bid), dev, t)
            check("the database down: 503 with Retry-After",
                  status == 503 and re.search(r"(?im)^retry-after: \d+", hdrs) is not None)
            subprocess.run(os.environ["OT_PG_CTL"] + " start", shell=True, check=True)
            for _ in range(10):
                status, reply, _ = curl(srv, "events", gzip.compress(plain), batch_headers(bid), dev, t)
                if status == 200:
                    break
                time.sleep(0.2)
            check("the database back: the retried batch is stored",
                  status == 200 and reply["accepted"] == 10 and not reply["duplicate"])
            rc, out, _ = srv.ctl("events", "count", TENANT_A)
            check("... once", out.strip() == str(len(eve) + 2 + 10 + 10))

        # large bodies at once, more than http.max-buffered (8mb) holds: one
        # is taken, the others are told 503 and nothing of theirs is stored.
        # Sent slowly so that they overlap even on a busy machine; should the
        # first be done before the third starts, that one fits again, so two
        # may be taken: what matters is that not all three are held at once
        rc, out, _ = srv.ctl("token", "create", TENANT_B)
        status, reply, dev_b = enroll(srv, t, re.search(r"^token: (\S+)", out, re.M).group(1), "b")
        large = b"".join(eve[:6000])
        results = [None] * 3

        def send(i):
            results[i] = curl(srv, "events", large, batch_headers(secrets.token_hex(16), gz=False),
                              dev_b, t, tag=str(i), extra=["--limit-rate", "600K"])
        threads = [threading.Thread(target=send, args=(i,)) for i in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        codes = sorted(r[0] for r in results)
        check("bodies beyond http.max-buffered: 503 busy with Retry-After, the rest stored (%s %s)"
              % (codes, [r[1] and r[1].get("error") for r in results]),
              codes in ([200, 503, 503], [200, 200, 503])
              and all(r[1]["error"] == "busy" and "Retry-After" in r[2]
                      for r in results if r[0] == 503))
        rc, out, _ = srv.ctl("events", "count", TENANT_B)
        check("... and only the batches answered 200 are stored",
              out.strip() == str(6000 * codes.count(200)))

        # the rate: the bucket (BURST) is nearly spent by now
        body = b"".join(eve[:6000])
        status, reply, _ = curl(srv, "events", gzip.compress(body), batch_headers(secrets.token_hex(16)), dev, t)
        status2, reply2, hdrs = curl(srv, "events", gzip.compress(plain), batch_headers(secrets.token_hex(16)), dev, t)
        check("past its rate a device gets 429 with Retry-After",
              status == 200 and status2 == 429 and re.search(r"(?im)^retry-after: [1-9]\d*", hdrs) is not None)

        rc, out, _ = srv.ctl("device", "revoke", dev_id)
        check("otasukectl device revoke", rc == 0 and dev_id in out)
        status, reply, _ = curl(srv, "events", gzip.compress(plain), batch_headers(secrets.token_hex(16)), dev, t)
        check("a revoked device: 403", status == 403 and reply["error"] == "revoked")
        rc, out, _ = srv.ctl("device", "list", tid_a)
        check("device list shows it revoked", "revoked" in out)
        rc, _, err = srv.ctl("device", "revoke", "no-such-device")
        check("revoking an unknown device is an error", rc == 1 and "no-such-device" in err)
        check("the audit log recorded tenant, token, enrollment and revocation",
              srv.sql("SELECT string_agg(action, ',') FROM (SELECT action FROM audit "
                      "ORDER BY id) a" if backend == "postgresql" else
                      "SELECT group_concat(action) FROM (SELECT action FROM audit ORDER BY id)") ==
              "tenant.add,tenant.add,token.create,device.enroll,token.create,token.create,"
              "device.enroll,device.revoke")

        check("otasuked stops cleanly on SIGTERM", srv.stop() == 0)
        srv = None
        errors = [l for l in open(os.path.join(t, "otasuked.log")) if " error: " in l]
        check("the log has no error but the database's outage",
              all(backend == "postgresql" and "postgresql" in l for l in errors))
    finally:
        if srv:
            srv.stop()
        if check.status() == 0:
            shutil.rmtree(t, ignore_errors=True)
        else:
            print("kept " + t)
    return check.status()


if __name__ == "__main__":
    sys.exit(main())
