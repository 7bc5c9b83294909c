#!/usr/bin/python3
"""incident.py OTASUKED OTASUKECTL SENSOR BACKEND: incidents and the
notification queue end to end, on BACKEND (sqlite, or postgresql under
tests/pg-run).

A real sensor, enrolled with otasuked by --enroll, reads the nDPI captures
with the Emerging Threats Open rules and uploads everything it logs through
its upload sink.  Checked: the alerts it logged become the incidents a
model of the rule says (one per device and signature while alerts keep
coming within incident.window, a new one after), each alert counted once
(event counts, timeline rows), kinds from the ET classification.config,
severities the most serious alert's; the level-0 contacts queued by their
minimum severity; escalation to level 1 after notify.escalate-after for
every incident still new, and not for one acknowledged with otasukectl;
otasukectl incident list/show and contact add/list/remove.  The
notifications are delivered for real to local receivers: mail to an SMTP
server (aiosmtpd) that must receive one message per notification, in the
contact's language with the incident's subject, and a signed webhook to a
local HTTPS receiver that checks each signature; every notification ends
sent, with its attempt in the notification log.  Then many more alerts
arrive and otasuked is killed (SIGKILL) while it correlates them: after a
restart every alert is counted exactly once.

Run with Debian's python3: aiosmtpd is Debian's package.
"""
import email
import email.policy
import hashlib
import hmac
import gzip
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime

from checks import Checks
from aiosmtpd.controller import Controller

from e2eutil import wait_for
from notify import HttpsReceiver, Mailbox, free_port
from otasuked import Otasuked
from server import batch_headers, curl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("OT_SHARED", os.path.join(ROOT, "..", "shared"))
ET = os.path.join(SHARED, "data", "rules", "et-open")
NDPI = os.path.join(SHARED, "data", "pcaps", "ndpi")
WINDOW = 3600
TENANT = "Clinic 'Kita'; DROP TABLE incidents;--"


def classtypes():
    """classification.config: description -> classtype name."""
    m = {}
    for line in open(os.path.join(ET, "classification.config")):
        if line.startswith("config classification:"):
            name, rest = line.split(":", 1)[1].split(",", 1)
            m[rest.rsplit(",", 1)[0].strip()] = name.strip()
    return m


def ts_us(s):
    """Suricata's timestamp (with +0000) to microseconds."""
    d = datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z")
    return int(d.replace(microsecond=0).timestamp()) * 1000000 + d.microsecond


def model(alerts):
    """The incidents the grouping rule makes of alerts, in upload order:
    [(key, count, first, last, severity, first_severity)]."""
    incs = defaultdict(list)
    for a in alerts:
        key = "%d:%d" % (a["alert"].get("gid", 1), a["alert"]["signature_id"])
        t, sev = ts_us(a["timestamp"]), min(max(a["alert"]["severity"], 1), 4)
        w = WINDOW * 1000000
        open_ = [i for i in incs[key] if i["last"] >= t - w and i["first"] <= t + w]
        if open_:
            i = max(open_, key=lambda i: i["last"])
            i.update(n=i["n"] + 1, first=min(i["first"], t), last=max(i["last"], t),
                     sev=min(i["sev"], sev))
        else:
            incs[key].append(dict(n=1, first=t, last=t, sev=sev, sev0=sev))
    return [(k, i["n"], i["first"], i["last"], i["sev"], i["sev0"])
            for k, l in incs.items() for i in l]


HOOK_SECRET = "hook-secret-e2e"


def start(otasuked, ctl, t, backend, escalate_after, smtp_port, rx):
    log = os.path.join(t, "otasuked.log")
    if os.path.exists(log):
        os.rename(log, log + ".%d" % time.monotonic_ns())
    return Otasuked(otasuked, ctl, t, backend, [
        "ingest:", "  rate-limit:", "    events-per-second: 0",
        "incident:", "  window: %d" % WINDOW,
        "  classification-file: " + os.path.join(ET, "classification.config"),
        "console:", "  url: https://soc.example.jp:8443",
        "notify:", "  escalate-after: %d" % escalate_after,
        "  helpdesk: お助け隊サポート 0120-000-000",
        "  smtp:", "    url: smtp://127.0.0.1:%d" % smtp_port, "    from: soc@example.jp",
        "  ca-file: " + rx.ca, "  retry:", "    initial: 1"])


def main():
    otasuked, ctl, sensor, backend = sys.argv[1:5]
    check = Checks()
    t = tempfile.mkdtemp(prefix="otasuked-incident-")
    os.chmod(t, 0o755)  # the server may run as nobody
    srv = None
    mailbox, smtp_port = Mailbox(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    os.makedirs(os.path.join(t, "rx"))
    rx = HttpsReceiver(os.path.join(t, "rx"))
    go = lambda escalate_after: start(otasuked, ctl, t, backend, escalate_after, smtp_port, rx)
    try:
        srv = go(3600)
        q = srv.sql
        check("otasuked starts", srv.port is not None)
        if srv.port is None:
            return check.status()
        rc, tid, _ = srv.ctl("tenant", "add", TENANT)
        tid = tid.strip()
        contacts = {}
        for name, channel, address, sev, level, lang in (
                ("owner", "mail", "owner@example.jp", "1", "0", "ja"),
                ("desk", "webhook", rx.url + "/hook", "4", "0", "en"),
                ("boss", "mail", "boss@example.jp", "4", "1", "en")):
            rc, out, _ = srv.ctl("contact", "add", TENANT, name, channel, address,
                                 "--min-severity", sev, "--level", level, "--lang", lang,
                                 *(["--secret", HOOK_SECRET] if channel == "webhook" else []))
            contacts[name] = out.strip()
        check("contact add prints the new contact's id",
              rc == 0 and all(len(c) == 36 for c in contacts.values()))
        rc, out, err = srv.ctl("contact", "add", TENANT, "x", "mail", "x@example.jp",
                               "--min-severity", "5")
        check("contact add refuses a severity out of 1..4", rc == 2 and "--min-severity" in err)
        rc, out, _ = srv.ctl("contact", "add", TENANT, "temp", "line", "U123", "--secret", "s3")
        rc2, _, _ = srv.ctl("contact", "remove", TENANT, out.strip())
        rc3, lst, _ = srv.ctl("contact", "list", TENANT)
        check("contact list shows the contacts without their secrets; remove removes",
              rc == 0 and rc2 == 0 and rc3 == 0 and len(lst.splitlines()) == 4 and
              "owner@example.jp" in lst and "U123" not in lst and "s3" not in lst)

        # the sensor, enrolled, uploads what it logs of the nDPI captures
        rc, out, _ = srv.ctl("token", "create", TENANT)
        token = re.search(r"^token: (\S+)", out, re.M).group(1)
        dev = os.path.join(t, "dev")
        p = subprocess.run([sensor, "--enroll", "https://127.0.0.1:%d/" % srv.port, "--token",
                            token, "--ca", srv.ca, "--name", "gw", "--state-dir", dev],
                           capture_output=True, text=True)
        url = re.search(r"url: '([^']+)'", p.stdout)
        check("the sensor enrolls with otasuked", p.returncode == 0 and url)
        rules = [a for f in sorted(os.listdir(ET)) if f.endswith(".rules")
                 for a in ("-s", os.path.join(ET, f))]
        keys = {"outputs.upload.enabled": "yes", "upload.url": url.group(1),
                "upload.ca-file": os.path.join(dev, "ca.pem"),
                "upload.cert-file": os.path.join(dev, "device.crt"),
                "upload.key-file": os.path.join(dev, "device.key"),
                "upload.spool.dir": os.path.join(t, "spool"), "upload.drain-timeout": "120",
                "upload.retry.min-delay": "100", "upload.retry.max-delay": "1000",
                "sensor.id": "gw"}
        logdir = os.path.join(t, "log")
        p = subprocess.run([sensor, "-r", NDPI, "-l", logdir, "-k", "none"] + rules +
                           [a for k, v in keys.items() for a in ("--set", "%s=%s" % (k, v))],
                           capture_output=True, text=True, timeout=600)
        eve = open(os.path.join(logdir, "eve.json"), "rb").read().splitlines()
        alerts = [json.loads(l) for l in eve if b'"event_type":"alert"' in l]
        check("the sensor logged and uploaded over 500 alerts of over 20 signatures",
              p.returncode == 0 and len(alerts) > 500 and
              len({a["alert"]["signature_id"] for a in alerts}) > 20)
        stored = lambda: q("SELECT count(*) FROM events WHERE tenant_id = '%s'" % tid)
        check("otasuked stored every event", wait_for(lambda: stored() == str(len(eve))))
        counted = lambda: q("SELECT coalesce(sum(event_count), 0) FROM incidents "
                            "WHERE tenant_id = '%s'" % tid)
        check("every alert joins an incident, once (%d)" % len(alerts),
              wait_for(lambda: counted() == str(len(alerts))))

        want = sorted(model(alerts))
        rows = q("SELECT group_key, event_count, first_us, last_us, severity, kind, "
                 "status, id FROM incidents WHERE tenant_id = '%s'" % tid).splitlines()
        got = sorted(tuple(r.split("|")) for r in rows)
        have = sorted((g[0], int(g[1]), int(g[2]), int(g[3]), int(g[4])) for g in got)
        check("the incidents are the model's: %d for %d signatures" %
              (len(want), len({w[0] for w in want})), have == [w[:5] for w in want])
        for h, w in zip(have, want):
            if h != w[:5]:
                print("# stored %s, model %s" % (h, w[:5]))
        kinds = classtypes()
        by_key = {}
        for a in alerts:
            by_key["1:%d" % a["alert"]["signature_id"]] = kinds.get(a["alert"]["category"], "")
        check("each incident's kind is its category's classtype in classification.config",
              all(g[5] == by_key[g[0]] for g in got) and
              any(g[5] == "policy-violation" for g in got))
        tl = q("SELECT count(*), count(DISTINCT event_id) FROM incident_timeline "
               "WHERE tenant_id = '%s' AND what = 'alert'" % tid)
        check("the timelines hold each alert's event once", tl == "%d|%d" % (len(alerts),
                                                                              len(alerts)))
        queued = lambda who, reason: int(q(
            "SELECT count(*) FROM notifications WHERE tenant_id = '%s' AND contact_id = '%s' "
            "AND reason = '%s'" % (tid, contacts[who], reason)))
        check("each new incident is queued for the level-0 contact of any severity",
              queued("desk", "new") == len(want))
        check("... and for the one of severity 1 only when it starts at severity 1",
              queued("owner", "new") == sum(1 for w in want if w[5] == 1) > 0)
        check("nobody of level 1 is told yet", queued("boss", "new") + queued("boss", "escalation") == 0)

        rc, out, _ = srv.ctl("incident", "list", TENANT)
        check("otasukectl incident list shows every incident",
              rc == 0 and len(out.splitlines()) == len(want) + 1)
        big = max(got, key=lambda g: int(g[1]))
        rc, out, _ = srv.ctl("incident", "show", big[7])
        check("otasukectl incident show prints the incident and its timeline",
              rc == 0 and "events: %s" % big[1] in out and
              out.count("\talert\tdevice ") == int(big[1]) and "notifications:" in out)
        acked = got[0][7]
        rc, out, _ = srv.ctl("incident", "status", acked, "acknowledged")
        rc2, _, err = srv.ctl("incident", "status", acked, "done")
        check("otasukectl incident status acknowledges; an unknown status is refused",
              rc == 0 and rc2 == 2 and "done" in err)

        # escalation: restarted with a short notify.escalate-after
        check("otasuked stops on SIGTERM", srv.stop() == 0)
        srv = go(1)
        escalated = lambda: queued("boss", "escalation")
        check("unacknowledged incidents escalate to level 1 after notify.escalate-after",
              wait_for(lambda: escalated() == len(want) - 1, 60))
        check("... but not the acknowledged one",
              q("SELECT notify_level FROM incidents WHERE id = '%s'" % acked) == "0" and
              q("SELECT count(*) FROM incident_timeline WHERE what = 'escalated' "
                "AND tenant_id = '%s'" % tid) == str(len(want) - 1))
        total_n = int(q("SELECT count(*) FROM notifications WHERE tenant_id = '%s'" % tid))
        check("every notification is delivered (%d)" % total_n, wait_for(
            lambda: q("SELECT count(*) FROM notifications WHERE state = 'sent'") == str(total_n),
            120) and q("SELECT count(*) FROM notify_log WHERE outcome = 'sent'") == str(total_n))
        mails = lambda to: [m for m in mailbox.messages if to in m[1]]
        owner_n = queued("owner", "new")
        check("the owner got one mail per notification, in Japanese (%d)" % owner_n,
              len(mails("owner@example.jp")) == owner_n and all(
                  email.message_from_bytes(m[2], policy=email.policy.default)["Subject"]
                  .startswith("【緊急】") for m in mails("owner@example.jp")))
        boss = mails("boss@example.jp")
        check("the next level's contact got the escalations, in English (%d)" % len(boss),
              len(boss) == escalated() and all(
                  "[Escalated" in email.message_from_bytes(m[2], policy=email.policy.default)
                  ["Subject"] for m in boss))
        body = email.message_from_bytes(mails("owner@example.jp")[0][2],
                                        policy=email.policy.default).get_body().get_content() \
            if mails("owner@example.jp") else ""
        check("a mail says what to do, who will call, and links to the console",
              "今すぐしてほしいこと" in body and "お助け隊サポート 0120-000-000" in body and
              "https://soc.example.jp:8443/#/tenants/%s/incidents/" % tid in body)
        hooks = rx.take()
        good = [h for h in hooks if hmac.compare_digest(
            h["headers"].get("X-Otasuke-Signature", ""),
            "sha256=" + hmac.new(HOOK_SECRET.encode(), h["headers"].get(
                "X-Otasuke-Timestamp", "").encode() + b"." + h["body"],
                hashlib.sha256).hexdigest())]
        ids = {json.loads(h["body"])["incident"]["id"] for h in good}
        check("the webhook got one signed request per incident (%d of %d)"
              % (len(good), len(want)), len(hooks) == len(good) == queued("desk", "new")
              and ids == set(q("SELECT id FROM incidents WHERE tenant_id = '%s'" % tid)
                             .splitlines()))

        # kill -9 while correlating many more alerts; nothing lost or doubled
        lines = [l for l in eve if b'"event_type":"alert"' in l]
        more = [b"\n".join(lines * 2) + b"\n" for _ in range(6)]
        cert = (os.path.join(dev, "device.crt"), os.path.join(dev, "device.key"))
        first = int(q("SELECT max(id) FROM events")) + 1
        sent = 0
        for body in more:
            status, reply, _ = curl(srv, "events", gzip.compress(body),
                                    batch_headers(secrets.token_hex(16)), cert, t)
            sent += reply["accepted"] if status == 200 else 0
        cursor = lambda: int(q("SELECT next_id FROM correlate_cursor"))
        wait_for(lambda: cursor() > first, 60)
        srv.kill()
        last = int(q("SELECT max(id) FROM events"))
        check("%d more alerts stored, otasuked killed while correlating them (cursor %d of %d..%d)"
              % (sent, cursor(), first, last),
              sent == 6 * 2 * len(lines) and first < cursor() <= last)
        srv = go(3600)
        total = len(alerts) + sent
        check("after a restart every alert is counted exactly once (%d)" % total,
              wait_for(lambda: counted() == str(total)) and
              q("SELECT count(*), count(DISTINCT event_id) FROM incident_timeline "
                "WHERE tenant_id = '%s' AND what = 'alert'" % tid) == "%d|%d" % (total, total))
        check("... and the cursor is past every event", cursor() == last + 1)
        log = open(srv.log).read() + "".join(
            open(os.path.join(t, f)).read() for f in os.listdir(t) if f.startswith("otasuked.log."))
        check("the logs have no error", " error: " not in log)
        check("otasuked stops on SIGTERM", srv.stop() == 0)
        srv = None
    finally:
        if srv:
            srv.kill()
        smtp.stop()
        rx.shutdown()
        shutil.rmtree(t, ignore_errors=True)
    return check.status()


if __name__ == "__main__":
    sys.exit(main())
