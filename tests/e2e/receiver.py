"""receiver.py - a small, real HTTPS receiver that answers as otasuked does
on the wire (docs/wire-protocol.md), for the device-side upload tests only:
the server itself (src/server) is tested on its own.

- TLS 1.2+, its own CA and server certificate made with openssl; the
  client certificate is verified against that CA when one is presented.
- POST /api/v1/enroll: one-time tokens; the CSR is signed with the CA
  (openssl), subject CN = device id, O = tenant id, 825 days.
- POST /api/v1/events: client certificate required (401), Content-Type
  application/x-ndjson (415), gzip or identity (415 when it does not
  inflate), X-Otasuke-Batch of 32 lowercase hex (400), line and byte
  limits (413), bad lines rejected one by one, the good ones stored;
  the same batch id from the same device again is a duplicate: 200 with
  the original counts and nothing stored twice.

It can be told to fail: a script of answers for the next requests (a
status such as 503, ("429", seconds) with Retry-After, "close" to drop the
connection without an answer), a delay before each answer, and it can be
taken down and brought up again on the same port.
"""
import gzip
import http.server
import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import uuid

BATCH_ID = re.compile(r"^[0-9a-f]{32}$")


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(d, name="ca"):
    """A CA (name.pem, name.key) in folder d."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "30",
            "-subj", "/CN=otasuke test CA " + name, cwd=d)


def make_server_cert(d):
    """server.pem / server.key for 127.0.0.1 and localhost, signed by ca."""
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=d)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "30", "-extfile", "server.ext", cwd=d)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message, headers=()):
        self.answer(status, {"error": code, "message": message}, headers)

    def do_POST(self):
        rx = self.server.rx
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if self.path == "/api/v1/enroll":
            return self.enroll(rx, body)
        if self.path != "/api/v1/events":
            return self.error(404, "not_found", "no such route")
        batch = self.headers.get("X-Otasuke-Batch", "")
        with rx.lock:
            rx.posts.append((time.monotonic(), batch))
            step = rx.script.pop(0) if rx.script else None
        if rx.delay:
            time.sleep(rx.delay)
        if step == "close":
            self.close_connection = True
            return
        if isinstance(step, tuple):
            return self.error(int(step[0]), "rate_limited", "slow down",
                              [("Retry-After", str(step[1]))])
        if step:
            return self.error(step, "unavailable", "told to fail")
        self.events(rx, body, batch)

    def events(self, rx, body, batch):
        cert = self.connection.getpeercert()
        if not cert:
            return self.error(401, "no_certificate", "a client certificate is required")
        subject = dict(x[0] for x in cert["subject"])
        device = subject.get("commonName")
        if self.headers.get("Content-Type") != "application/x-ndjson":
            return self.error(415, "bad_type", "expected application/x-ndjson")
        if not BATCH_ID.match(batch):
            return self.error(400, "bad_batch", "X-Otasuke-Batch must be 32 lowercase hex digits")
        enc = self.headers.get("Content-Encoding", "identity")
        try:
            text = gzip.decompress(body) if enc == "gzip" else body
        except (OSError, EOFError):
            return self.error(415, "bad_encoding", "the body does not inflate")
        lines = text.decode("utf-8", "replace").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if len(lines) > rx.max_lines or len(text) > rx.max_bytes:
            return self.error(413, "too_large", "at most %d lines and %d bytes" %
                              (rx.max_lines, rx.max_bytes))
        with rx.lock:
            if (device, batch) in rx.batches:
                first = rx.batches[(device, batch)]
                rx.duplicates += 1
                return self.answer(200, {"batch": batch, "accepted": first["accepted"],
                                         "duplicate": True, "rejected": first["rejected"]})
            good, rejected = [], []
            for i, line in enumerate(lines, 1):
                try:
                    ok = isinstance(json.loads(line), dict)
                except ValueError:
                    ok = False
                if ok:
                    good.append(line)
                else:
                    rejected.append({"line": i, "error": "not a JSON object"})
            rx.batches[(device, batch)] = {"accepted": len(good), "rejected": rejected,
                                           "lines": good}
        self.answer(200, {"batch": batch, "accepted": len(good), "duplicate": False,
                          "rejected": rejected})

    def enroll(self, rx, body):
        try:
            req = json.loads(body)
            token, csr = req["token"], req["csr"]
        except (ValueError, KeyError, TypeError):
            return self.error(400, "bad_request", "expected token, name, kind and csr")
        with rx.lock:
            if token not in rx.tokens:
                return self.error(401, "bad_token", "unknown, used or expired token")
            rx.tokens.discard(token)
        device, tenant = str(uuid.uuid4()), rx.tenant
        d = rx.dir
        with open(os.path.join(d, device + ".csr"), "w") as f:
            f.write(csr)
        with open(os.path.join(d, "client.ext"), "w") as f:
            f.write("extendedKeyUsage=clientAuth\n")
        try:
            openssl("x509", "-req", "-in", device + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-days", "825", "-subj", "/CN=%s/O=%s" % (device, tenant),
                    "-extfile", "client.ext", "-out", device + ".pem", cwd=d)
        except subprocess.CalledProcessError:
            return self.error(400, "bad_csr", "the CSR could not be signed")
        with open(os.path.join(d, device + ".pem")) as f:
            cert = f.read()
        with open(os.path.join(d, "ca.pem")) as f:
            ca = f.read()
        rx.devices[device] = req.get("name")
        self.answer(200, {"device_id": device, "tenant_id": tenant, "certificate": cert, "ca": ca})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, rx):
        self.rx = rx
        self.conns = set()
        super().__init__(("127.0.0.1", rx.port), Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        sock.settimeout(30)
        # the answer's head and body are two writes: without this, Nagle and
        # the client's delayed ACK hold each answer back 40 ms
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.rx.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        with self.rx.lock:
            self.conns.add(request)
        try:
            request.do_handshake()
            super().finish_request(request, client_address)
        except (ssl.SSLError, OSError):
            pass
        finally:
            with self.rx.lock:
                self.conns.discard(request)

    def drop_connections(self):
        with self.rx.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Receiver:
    def __init__(self, d):
        self.dir = d
        make_ca(d)
        make_server_cert(d)
        self.ca = os.path.join(d, "ca.pem")
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.minimum_version = ssl.TLSVersion.TLSv1_2
        self.tls.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
        self.tls.load_verify_locations(self.ca)
        self.tls.verify_mode = ssl.CERT_OPTIONAL
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.lock = threading.Lock()
        self.tenant = str(uuid.uuid4())
        self.tokens = set()
        self.devices = {}
        self.server = None
        self.reset()

    def reset(self, max_lines=10000, max_bytes=8 << 20):
        """Forget what was received; default limits, no failures."""
        with self.lock:
            self.batches = {}
            self.posts = []
            self.script = []
            self.duplicates = 0
            self.delay = 0
            self.max_lines = max_lines
            self.max_bytes = max_bytes

    def up(self):
        self.server = Server(self)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server.drop_connections()
            self.server = None

    def token(self):
        t = uuid.uuid4().hex
        with self.lock:
            self.tokens.add(t)
        return t

    def lines(self):
        """Every line stored, in no particular order."""
        with self.lock:
            return [line for b in self.batches.values() for line in b["lines"]]
