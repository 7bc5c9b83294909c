"""e2eutil.py - small helpers the end-to-end scripts share: waiting for a
condition, the complete lines of a sensor's eve.json, and the sensor's
--set arguments for uploading to a server."""
import os
import time


def wait_for(cond, timeout=240):
    """Poll cond until it holds or timeout seconds pass; its last value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def eve_lines(logdir):
    """The complete lines of eve.json (a killed sensor may leave half a line)."""
    try:
        with open(os.path.join(logdir, "eve.json")) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return text.split("\n")[:-1]


def upload_sets(url, state, spool, **keys):
    """--set arguments that make the sensor upload to url with what
    --enroll left in state, spooling in spool, retrying quickly; keys
    (dotted names) override or add."""
    base = {
        "outputs.upload.enabled": "yes", "upload.url": url,
        "upload.ca-file": os.path.join(state, "ca.pem"),
        "upload.cert-file": os.path.join(state, "device.crt"),
        "upload.key-file": os.path.join(state, "device.key"),
        "upload.spool.dir": spool, "upload.retry.min-delay": "100",
        "upload.retry.max-delay": "1000", "upload.batch.max-events": "200",
        "upload.drain-timeout": "120",
    }
    base.update(keys)
    return [a for k, v in base.items() for a in ("--set", "%s=%s" % (k, v))]
