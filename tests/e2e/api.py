#!/usr/bin/env python3
"""api.py OTASUKED OTASUKECTL BACKEND: otasuked's REST API as people use it,
on BACKEND (sqlite, or postgresql under tests/pg-run).

Users are made with otasukectl (provider admin) and through the API
(customer admins and viewers of two tenants, A and B); a device of B
enrolls with a token made through the API and uploads events.  Checked:
sign-in with the session cookie and its CSRF header (writes without it
refused), wrong passwords answered 401 and then 429 with Retry-After
(also for the right password), roles (a viewer cannot manage users, a
customer cannot reach the provider's routes), API tokens (Bearer, no CSRF,
revoked -> 401), sign-out, password change, the audit log.

Tenant isolation walks the route table itself (otasuked --dump-routes):
every route with a {tenant} is called by A's admin with B's tenant and B's
objects ({user}, {device}, {event}, {token}) and must answer 404 or 403,
while B's admin gets 2xx from every GET of them with the same ids (so the
ids are real and the 404s mean something); every staff route answers 403
to a customer.  Event filters get SQL metacharacters and bad values:
400 for what is not a value, an empty result for what matches nothing,
and the events are all still there afterwards.  docs/openapi.yaml must
describe exactly the routes of the table."""
import gzip
import json
import os
import re
import secrets
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from checks import Checks
from otasuked import Otasuked
from server import enroll, curl, batch_headers, ROOT

EVIL = "x' OR '1'='1'; DROP TABLE events;-- %_\\ \"薬局\""


class Client:
    """One person's connection: cookie, CSRF token or API token."""

    def __init__(self, srv, ctx):
        self.srv, self.ctx = srv, ctx
        self.cookie = self.csrf = self.bearer = None

    def call(self, method, path, body=None, csrf=True):
        url = "https://127.0.0.1:%d%s" % (self.srv.port, path)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        if self.csrf and csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        if self.bearer:
            req.add_header("Authorization", "Bearer " + self.bearer)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
                status, hdrs, text = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, text = e.code, e.headers, e.read()
        try:
            reply = json.loads(text)
        except ValueError:
            reply = None
        sc = hdrs.get("Set-Cookie")
        if sc:
            m = re.match(r"otasuke_session=([^;]*)", sc)
            self.cookie = "otasuke_session=" + m.group(1) if m and m.group(1) else None
        return status, reply, hdrs

    def login(self, login, password):
        s, r, h = self.call("POST", "/api/v1/login", {"login": login, "password": password})
        if s == 200:
            self.csrf = r["csrf"]
        return s, r, h


def ctl_user(srv, login, role, tenant=None):
    args = ["user", "add", login, "--role", role] + (["--tenant", tenant] if tenant else [])
    rc, out, err = srv.ctl(*args)
    m = re.search(r"password: (\S+)", out)
    return m.group(1) if rc == 0 and m else None


def main():
    otasuked, ctl, backend = sys.argv[1:4]
    check = Checks()
    t = tempfile.mkdtemp(prefix="otasuke-api-")
    os.chmod(t, 0o755)  # the server may run as nobody
    srv = Otasuked(otasuked, ctl, t, backend, [
        "incident:", "  classification-file: " + os.path.join(ROOT, "rules", "classification.config")])
    check("otasuked starts", srv.port is not None)
    if srv.port is None:
        return check.status()
    try:
        run(check, srv, t, otasuked)
    finally:
        if srv.proc.poll() is None:
            srv.kill()
    if check.status() == 0:
        subprocess.run(["rm", "-rf", t])
    return check.status()


def run(check, srv, t, otasuked):
    ctx = ssl.create_default_context(cafile=srv.ca)
    routes = [l.split("\t") for l in subprocess.run([otasuked, "--dump-routes"],
                                                    capture_output=True, text=True)
              .stdout.splitlines()]

    # people
    rc, out, _ = srv.ctl("tenant", "add", "Tenant A " + EVIL)
    ta = out.strip()
    rc, out, _ = srv.ctl("tenant", "add", "Tenant B")
    tb = out.strip()
    admin_pw = ctl_user(srv, "admin@provider.example", "provider_admin")
    check("otasukectl user add prints a password once", admin_pw is not None)
    check("otasukectl refuses a staff role with --tenant",
          ctl_user(srv, "x@y.example", "soc_operator", ta) is None)
    admin = Client(srv, ctx)
    s, r, h = admin.login("admin@provider.example", admin_pw)
    check("the provider admin signs in (200, cookie Secure HttpOnly SameSite=Strict)",
          s == 200 and admin.cookie and "HttpOnly" in h.get("Set-Cookie", "")
          and "Secure" in h.get("Set-Cookie", "") and "SameSite=Strict" in h.get("Set-Cookie", ""))
    s, r, _ = admin.call("GET", "/api/v1/session")
    check("GET /session names the user and their CSRF token",
          s == 200 and r["user"]["role"] == "provider_admin" and r["csrf"] == admin.csrf)
    s, r, _ = admin.call("POST", "/api/v1/tenants", {"name": "C"}, csrf=False)
    check("a session's write without X-CSRF-Token: 403 csrf", s == 403 and r["error"] == "csrf")
    s, r, _ = admin.call("POST", "/api/v1/tenants", {"name": "Tenant C"})
    check("with it: tenant made (201)", s == 201 and r["name"] == "Tenant C")
    s, r, _ = admin.call("POST", "/api/v1/tenants", {"name": "Tenant C"})
    check("the same name again: 409", s == 409)
    s, r, _ = admin.call("PATCH", "/api/v1/tenants/%s" % tb, {"retention_days": 90})
    check("the provider admin sets B's retention to 90 days",
          s == 200 and r["retention_days"] == 90)
    for bad in (-1, 36501, "90", None):
        s, r, _ = admin.call("PATCH", "/api/v1/tenants/%s" % tb, {"retention_days": bad})
        check("retention_days %r: 400" % (bad,), s == 400)

    made = {}
    for tenant, who in ((ta, "a"), (tb, "b")):
        s, r, _ = admin.call("POST", "/api/v1/tenants/%s/users" % tenant,
                             {"login": "boss-%s@customer.example" % who, "name": "社長 " + who,
                              "role": "customer_admin"})
        made[who] = r
        check("customer admin %s made, a password shown once" % who,
              s == 201 and len(r.get("password", "")) == 16)
    s, r, _ = admin.call("POST", "/api/v1/tenants/%s/users" % ta,
                         {"login": "staff@x.example", "name": "n", "role": "soc_operator"})
    check("a staff role on a tenant's route: 400", s == 400 and r["error"] == "bad_role")
    s, r, _ = admin.call("POST", "/api/v1/tenants/%s/users" % ta,
                         {"login": "weak@x.example", "name": "n", "role": "customer_viewer",
                          "password": "short"})
    check("a password under 10 characters: 400", s == 400 and r["error"] == "weak_password")
    s, r, _ = admin.call("POST", "/api/v1/tenants/%s/users" % ta,
                         {"login": "viewer@customer.example", "name": "店員",
                          "role": "customer_viewer", "password": "viewer-password-1"})
    check("a viewer of A made with a password of their own", s == 201 and "password" not in r)
    s, r, _ = admin.call("POST", "/api/v1/tenants/%s/users" % ta, "not an object")
    check("a body that is not an object: 400", s == 400 and r["error"] == "bad_json")

    ua, ub = Client(srv, ctx), Client(srv, ctx)
    check("A's admin signs in", ua.login(made["a"]["login"], made["a"]["password"])[0] == 200)
    check("B's admin signs in", ub.login(made["b"]["login"], made["b"]["password"])[0] == 200)

    # a device of B, enrolled with a token made through the API, uploads events
    s, r, _ = admin.call("POST", "/api/v1/tenants/%s/enroll-tokens" % tb, {})
    check("an enrollment token made through the API comes with the CA",
          s == 201 and r["token"].startswith(tb) and "BEGIN CERTIFICATE" in r["ca"])
    s, dev, cert = enroll(srv, t, r["token"], "B's gateway")
    check("B's device enrolls with it", s == 200)
    s, r, _ = ub.call("POST", "/api/v1/tenants/%s/contacts" % tb,
                      {"name": "店主", "channel": "webhook", "address": "https://127.0.0.1:9/hook",
                       "secret": "s3cret", "min_severity": 2})
    check("B's admin adds a contact (the secret is not shown back)",
          s == 201 and r["has_secret"] and "secret" not in r)
    b_contact = r["id"]
    for bad in ({"name": "x", "channel": "pigeon", "address": "roof"},
                {"name": "x", "channel": "mail", "address": "not an address"},
                {"name": "x", "channel": "webhook", "address": "ftp://x", "min_severity": 9}):
        s, r, _ = ub.call("POST", "/api/v1/tenants/%s/contacts" % tb, bad)
        check("a contact %s: 400" % json.dumps(bad), s == 400)
    def event(i):
        e = {"timestamp": "2026-11-22T09:0%d:00.000000+0000" % i, "note": EVIL, "n": i,
             "event_type": "alert" if i % 2 else "dns", "src_ip": "192.168.1.23",
             "dest_ip": "203.0.113.66"}
        if i % 2:
            e["alert"] = {"action": "allowed", "gid": 1, "signature_id": 9900001, "rev": 1,
                          "signature": "OTASUKE MALWARE EICAR test virus " + EVIL,
                          "category": "Malware activity", "severity": 1}
        return json.dumps(e)
    lines = [event(i) for i in range(6)]
    s, r, _ = curl(srv, "events", gzip.compress(("\n".join(lines) + "\n").encode()),
                   batch_headers(secrets.token_hex(16)), cert=cert, t=t)
    check("B's device uploads 6 events (3 alerts)", s == 200 and r["accepted"] == 6)
    s, r, _ = ub.call("GET", "/api/v1/tenants/%s/events?limit=2" % tb)
    check("B's admin pages through B's events (2 of 6, next_before set)",
          s == 200 and len(r["events"]) == 2 and r["next_before"] == r["events"][-1]["id"]
          and r["events"][0]["event"]["n"] == 5)
    event_id = r["events"][0]["id"]
    s, r2, _ = ub.call("GET", "/api/v1/tenants/%s/events?before=%d" % (tb, r["next_before"]))
    check("the next page holds the other 4", s == 200 and len(r2["events"]) == 4
          and r2["next_before"] is None)
    s, r, _ = ub.call("GET", "/api/v1/tenants/%s/events?type=alert&since=2026-11-22T09:02:00Z"
                      % tb)
    check("filtered by type and time: alerts 3 and 5",
          s == 200 and [e["event"]["n"] for e in r["events"]] == [5, 3])
    q = urllib.parse.quote(EVIL)
    for arg in ("type", "device", "q"):
        s, r, _ = ub.call("GET", "/api/v1/tenants/%s/events?%s=%s"
                          % (tb, arg, urllib.parse.quote("a' OR '1'='1")))
        check("SQL metacharacters in '%s': 200, no events" % arg,
              s == 200 and len(r["events"]) == 0)
    s, r, _ = ub.call("GET", "/api/v1/tenants/%s/events?q=%s"
                      % (tb, urllib.parse.quote("'1'='1'; DROP TABLE events;-- %_")))
    check("the same in q, as the events hold them: all 6", s == 200 and len(r["events"]) == 6)
    s, r, _ = ub.call("GET", "/api/v1/tenants/%s/events?type=%s" % (tb, "x" * 33))
    check("a type longer than 32 bytes: 400", s == 400)
    s, r, _ = ub.call("GET", "/api/v1/tenants/%s/events?q=%s" % (tb, urllib.parse.quote("%_")))
    check("'%_' in q matches itself only (the events hold it)", s == 200 and len(r["events"]) == 6)
    s, r, _ = ub.call("GET", "/api/v1/tenants/%s/events?q=%s" % (tb, urllib.parse.quote("1%2")))
    check("'%' is not a wildcard in q", s == 200 and len(r["events"]) == 0)
    for arg, val in (("since", q), ("until", "yesterday"), ("before", "1;DROP"),
                     ("limit", "0"), ("limit", "1001"), ("before", "-1")):
        s, r, _ = ub.call("GET", "/api/v1/tenants/%s/events?%s=%s" % (tb, arg, val))
        check("%s=%s: 400 naming it" % (arg, val), s == 400 and arg in r.get("message", ""))
    s, r, _ = ub.call("GET", "/api/v1/tenants/%s/events" % tb)
    check("all 6 events still stored", s == 200 and len(r["events"]) == 6)

    # B's objects for the isolation walk
    s, r, _ = ub.call("POST", "/api/v1/tenants/%s/users" % tb,
                      {"login": "clerk-b@customer.example", "name": "clerk",
                       "role": "customer_viewer"})
    b_user = r["id"]
    s, r, _ = ub.call("POST", "/api/v1/session/api-tokens", {"name": "B's script"})
    check("B's admin makes an API token (shown once)", s == 201 and r["token"].startswith("ota_"))
    b_token, b_token_id = r["token"], r["id"]
    for _ in range(100):
        s, r, _ = ub.call("GET", "/api/v1/tenants/%s/incidents" % tb)
        if s == 200 and r["incidents"]:
            break
        time.sleep(0.1)
    inc = r["incidents"][0] if s == 200 and r["incidents"] else {}
    check("B's 3 alerts make one incident (severity 1, kind trojan-activity)",
          s == 200 and len(r["incidents"]) == 1 and inc["event_count"] == 3
          and inc["severity"] == 1 and inc["status"] == "new" and inc["kind"] == "trojan-activity")
    s, r, _ = ub.call("GET", "/api/v1/tenants/%s/incidents/%s" % (tb, inc.get("id")))
    check("the incident comes with its timeline, notification and message in Japanese",
          s == 200 and len([t for t in r["timeline"] if t["what"] == "alert"]) == 3
          and len(r["notifications"]) == 1 and "今すぐしてほしいこと" in r["message"]["text"]
          and r["message"]["lang"] == "ja" and "【緊急】" in r["message"]["subject"])
    s, r, _ = ub.call("PATCH", "/api/v1/tenants/%s/incidents/%s" % (tb, inc.get("id")),
                      {"status": "acknowledged"})
    check("B's admin acknowledges it", s == 200 and r["status"] == "acknowledged")
    s, r, _ = ub.call("PATCH", "/api/v1/tenants/%s/incidents/%s" % (tb, inc.get("id")),
                      {"status": "eaten"})
    check("an unknown status: 400", s == 400)
    s, r, _ = ub.call("POST", "/api/v1/tenants/%s/incidents/%s/notes" % (tb, inc.get("id")),
                      {"text": "電話で確認しました " + EVIL})
    check("a note goes on the timeline verbatim",
          s == 201 and r["timeline"][-1]["detail"] == "電話で確認しました " + EVIL)
    for arg, val in (("status", "open"), ("severity_min", "1"), ("q", "EICAR"),
                     ("q", "' OR 1=1 --"), ("device", dev["device_id"])):
        s, r, _ = ub.call("GET", "/api/v1/tenants/%s/incidents?%s=%s"
                          % (tb, arg, urllib.parse.quote(val)))
        want = 0 if val == "' OR 1=1 --" else 1
        check("incidents filtered by %s=%s: %d" % (arg, val, want),
              s == 200 and len(r["incidents"]) == want)
    for arg, val in (("status", "x'--"), ("severity_min", "5"), ("after", "1;DROP"),
                     ("since", "soon"), ("limit", "0")):
        s, r, _ = ub.call("GET", "/api/v1/tenants/%s/incidents?%s=%s"
                          % (tb, arg, urllib.parse.quote(val)))
        check("incidents %s=%s: 400" % (arg, val), s == 400 and arg in r.get("message", ""))
    s, r, _ = ub.call("POST", "/api/v1/tenants/%s/sites" % tb, {"name": "本店 " + EVIL})
    check("B's admin adds a site", s == 201 and r["name"] == "本店 " + EVIL)
    b_site = r["id"]
    s, r, _ = ub.call("POST", "/api/v1/tenants/%s/sites" % tb, {"name": "本店 " + EVIL})
    check("the same site name again: 409", s == 409)
    s, r, _ = ub.call("PATCH", "/api/v1/tenants/%s/devices/%s" % (tb, dev["device_id"]),
                      {"site_id": b_site})
    check("B's device placed at the site", s == 200 and r["site_id"] == b_site)
    s, r, _ = admin.call("POST", "/api/v1/tenants/%s/sites" % ta, {"name": "A's shop"})
    s, r, _ = ub.call("PATCH", "/api/v1/tenants/%s/devices/%s" % (tb, dev["device_id"]),
                      {"site_id": r["id"]})
    check("... but not at a site of tenant A: 404", s == 404)
    ids = {"tenant": tb, "user": b_user, "device": dev["device_id"], "event": str(event_id),
           "token": b_token_id, "incident": inc.get("id", "x"), "contact": b_contact,
           "site": b_site}

    def fill(path):
        return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)

    names = {n for _, path, _ in routes for n in re.findall(r"\{(\w+)\}", path)}
    check("B has an object for every {name} of the route table (%s)" % sorted(names - set(ids)),
          names <= set(ids))
    ids.update({n: "x" for n in names - set(ids)})
    walked = 0
    for method, path, need in routes:
        if need in ("none", "device"):
            continue
        body = {} if method in ("POST", "PATCH") else None
        if "{tenant}" in path or "{" in path:
            s, r, _ = ua.call(method, fill(path), body)
            check("A's admin: %s %s with B's ids: %s" % (method, path, s), s in (403, 404))
            walked += 1
            if method == "GET" and need not in ("provider_admin", "staff"):
                s, r, _ = ub.call(method, fill(path))
                check("B's admin: GET %s with the same ids: 200" % path, s == 200)
        elif need in ("staff", "provider_admin"):
            s, r, _ = ua.call(method, path, body)
            check("A's admin: %s %s (staff only): 403" % (method, path), s == 403)
            walked += 1
    check("the walk called every route that names an object or is staff-only (%d)" % walked,
          walked > 30)
    s, r, _ = ua.call("GET", "/api/v1/tenants")
    check("A's admin lists only tenant A", s == 200 and [x["id"] for x in r["tenants"]] == [ta])
    s, r, _ = admin.call("GET", "/api/v1/tenants")
    check("the provider admin lists every tenant", s == 200 and len(r["tenants"]) == 3)

    # roles
    viewer = Client(srv, ctx)
    check("A's viewer signs in", viewer.login("viewer@customer.example", "viewer-password-1")[0]
          == 200)
    s, r, _ = viewer.call("GET", "/api/v1/tenants/%s/users" % ta)
    check("a viewer may not list users: 403", s == 403 and r["error"] == "forbidden")
    s, r, _ = viewer.call("GET", "/api/v1/tenants/%s/devices" % ta)
    check("a viewer reads the devices of their tenant", s == 200)

    # API tokens
    bot = Client(srv, ctx)
    bot.bearer = b_token
    s, r, _ = bot.call("GET", "/api/v1/tenants/%s/events" % tb)
    check("B's API token reads B's events", s == 200 and len(r["events"]) == 6)
    s, r, _ = bot.call("POST", "/api/v1/session/api-tokens", {"name": "made by a token"})
    check("an API token writes without CSRF", s == 201)
    s, r, _ = bot.call("GET", "/api/v1/tenants/%s/events" % ta)
    check("B's API token on tenant A: 404", s == 404)
    s, r, _ = ub.call("DELETE", "/api/v1/session/api-tokens/%s" % b_token_id)
    check("B's admin revokes it", s == 200)
    s, r, _ = bot.call("GET", "/api/v1/tenants/%s/events" % tb)
    check("the revoked token: 401", s == 401)
    bot.bearer = "ota_" + "A" * 32
    check("an unknown token: 401", bot.call("GET", "/api/v1/session")[0] == 401)

    # password change ends the other sessions
    other = Client(srv, ctx)
    other.login(made["a"]["login"], made["a"]["password"])
    s, r, _ = ua.call("POST", "/api/v1/session/password", {"old": "wrong password!",
                                                             "new": "a-new-password-2"})
    check("password change with a wrong current password: 403", s == 403)
    s, r, _ = ua.call("POST", "/api/v1/session/password", {"old": made["a"]["password"],
                                                             "new": "a-new-password-2"})
    check("password changed", s == 200)
    check("the other session of that user has ended (401)",
          other.call("GET", "/api/v1/session")[0] == 401)
    check("this session goes on", ua.call("GET", "/api/v1/session")[0] == 200)

    # sign-in limit
    guess = Client(srv, ctx)
    codes = [guess.login("viewer@customer.example", "guess %d" % i)[0] for i in range(6)]
    check("wrong passwords: 401 each (%s)" % codes, codes == [401] * 6)
    s, r, h = guess.login("viewer@customer.example", "viewer-password-1")
    check("then even the right one: 429 with Retry-After", s == 429 and h.get("Retry-After"))
    s, r, _ = guess.login("nobody@nowhere.example", "whatever-password")
    check("an unknown login: 401 or 429, never 404", s in (401, 429))

    # sign-out
    s, r, h = ua.call("POST", "/api/v1/logout", {})
    check("sign-out clears the cookie", s == 200 and "Max-Age=0" in h.get("Set-Cookie", ""))
    check("the session is gone (401)", ua.call("GET", "/api/v1/session")[0] == 401)
    check("no cookie at all: 401", Client(srv, ctx).call("GET", "/api/v1/tenants")[0] == 401)

    # the audit log
    s, r, _ = admin.call("GET", "/api/v1/audit?limit=1000")
    actions = {a["action"] for a in r["audit"]} if s == 200 else set()
    check("the audit log holds sign-ins, failures, users, tokens, devices (%s)"
          % sorted(actions), {"login", "login.failed", "user.add", "api_token.create",
                              "api_token.revoke", "token.create", "device.enroll",
                              "user.password", "logout", "tenant.add"} <= actions)
    s, r, _ = ub.call("GET", "/api/v1/tenants/%s/audit" % tb)
    check("B's admin reads B's audit log only",
          s == 200 and r["audit"] and all(a["tenant_id"] == tb for a in r["audit"]))

    # docs/openapi.yaml describes exactly these routes
    doc = open(os.path.join(ROOT, "docs", "openapi.yaml")).read()
    documented, cur = set(), None
    for line in doc.splitlines():
        m = re.match(r"^  (/api/v1/\S*):\s*$", line)
        if m:
            cur = m.group(1)
        m = re.match(r"^    (get|post|patch|delete|put):\s*$", line)
        if m and cur:
            documented.add((m.group(1).upper(), cur))
    table = {(m, p) for m, p, _ in routes}
    check("docs/openapi.yaml documents every route (missing: %s)" % sorted(table - documented),
          table <= documented)
    check("docs/openapi.yaml documents no route that does not exist (%s)"
          % sorted(documented - table), documented <= table)

    check("otasuked stops cleanly", srv.stop() == 0)


if __name__ == "__main__":
    sys.exit(main())
