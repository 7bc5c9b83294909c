#!/usr/bin/python3
"""notify.py NOTIFY_SEND: otasuked's notifications (src/server/notify*.c)
delivered for real, through tests/notify-send (the server's notify_send()
for each target on its command line), to local receivers only:

- mail: a real SMTP server (aiosmtpd, Debian's python3-aiosmtpd) gets the
  message; its MIME decodes (Python's email package) to the expected
  Japanese subject and body, with Date, Message-ID, UTF-8 base64 and no
  line over 998 bytes; English too; a recipient refused with 550 is
  FAILED, with 451 RETRY; STARTTLS required of a server without it, and a
  closed port, RETRY;
- LINE, Teams, Slack, Chatwork and the generic webhook: a local HTTPS
  receiver (its own CA, given as notify.ca-file) checks method, path,
  headers, the JSON (or form) each service expects, and the webhook's
  HMAC-SHA256 signature;
- answers 429 (with Retry-After), 500 and 400 give RETRY (and the seconds),
  RETRY and FAILED (with the receiver's reason, without the token even when
  the receiver echoes it); a closed port gives RETRY; a malformed target
  is FAILED before anything is sent;
- wrong notify.* configuration values are refused, naming the key.

Run with Debian's python3: aiosmtpd is Debian's package.
"""
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timezone

from aiosmtpd.controller import Controller

from checks import Checks
from receiver import make_ca, make_server_cert

FIRST = datetime(2026, 11, 22, 6, 4, 5, tzinfo=timezone.utc)   # 15:04 in Japan
LAST = datetime(2026, 11, 22, 6, 30, 0, tzinfo=timezone.utc)
LINE_TOKEN = "line-token-Zq81vA"
CHATWORK_TOKEN = "cw-token-7Hk2"
HOOK_SECRET = "hook-secret-4f9c"
LINE_ID = "U" + "0123456789abcdef" * 2
CONSOLE = "https://console.example.jp/incidents/7d1e"

INCIDENT = [
    "--id", "7d1e6b7c-1f34-4b8e-9a55-3f2f0c9d1e01",
    "--tenant", "テスト薬局",
    "--device", "本店センサー",
    "--severity", "1",
    "--kind", "trojan-activity",
    "--signature", "ET MALWARE Win32/Emotet CnC Beacon <!channel> [To:1]",
    "--src", "192.168.1.23",
    "--dest", "203.0.113.5",
    "--count", "12",
    "--first", str(int(FIRST.timestamp()) * 1000000),
    "--last", str(int(LAST.timestamp()) * 1000000),
    "--url", CONSOLE,
    "--helpdesk", "お助け隊サポート 0120-000-000",
]
SUBJECT_JA = "【緊急】ウイルス感染の疑い：テスト薬局"
SUBJECT_EN = "[Critical] Possible virus infection - テスト薬局"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: keeps every message; refuses recipients named
    bad* (550) and later* (451)."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bad"):
            return "550 5.1.1 no such user here"
        if address.startswith("later"):
            return "451 4.3.0 mailbox busy, try again"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        rx = self.server.rx
        with rx.lock:
            rx.requests.append({"method": self.command, "path": self.path,
                                "headers": dict(self.headers), "body": body})
        # /s<status>/...: answer with that status (the body echoes the token, as a
        # careless service might)
        first = self.path.split("/")[1]
        status, extra, out = 200, [], b'{"ok":true}'
        if first.startswith("s") and first[1:].isdigit():
            status = int(first[1:])
            token = self.headers.get("Authorization", "")[7:] or self.headers.get("X-ChatWorkToken", "")
            out = json.dumps({"message": "refused, token %s" % token}).encode()
            if status == 429:
                extra = [("Retry-After", "7")]
        elif "/teams" in self.path:
            status, out = 202, b""
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


class HttpsReceiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, d):
        make_ca(d)
        make_server_cert(d)
        self.ca = os.path.join(d, "ca.pem")
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
        self.rx = self
        self.lock = threading.Lock()
        self.requests = []
        super().__init__(("127.0.0.1", 0), Handler)
        self.url = "https://127.0.0.1:%d" % self.server_address[1]
        self.socket = self.tls.wrap_socket(self.socket, server_side=True)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def take(self):
        with self.lock:
            r, self.requests = self.requests, []
        return r


def send(tool, sets, targets, extra=()):
    args = [tool]
    for s in sets:
        args += ["--set", s]
    args += INCIDENT + list(extra) + targets
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        print("notify-send failed: %s" % p.stderr)
        return []
    return [json.loads(line) for line in p.stdout.splitlines()]


def result(results, i):
    return results[i]["result"] if i < len(results) else None


def check_mail(ok, raw, subject, expect_in_body, lang):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    ok("%s mail: Subject decodes to %s" % (lang, subject), str(msg["Subject"]) == subject)
    subj_raw = [l for l in raw.split(b"\r\n") if l.startswith(b"Subject:")][0]
    ok("%s mail: Subject is RFC 2047 base64 in UTF-8" % lang, subj_raw.startswith(b"Subject: =?UTF-8?B?"))
    ok("%s mail: every header and body line within 998 bytes" % lang,
       all(len(l) <= 998 for l in raw.split(b"\r\n")))
    ok("%s mail: Date and Message-ID" % lang,
       msg["Date"] is not None and msg["Message-ID"] is not None and
       msg["Message-ID"].endswith("@example.jp>"))
    ok("%s mail: From has the sender's name and address" % lang,
       msg["From"].addresses[0].addr_spec == "soc@example.jp" and
       msg["From"].addresses[0].display_name == "お助け隊 SOC")
    ok("%s mail: text/plain UTF-8 in base64" % lang,
       msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8" and
       msg["Content-Transfer-Encoding"] == "base64" and msg["MIME-Version"] == "1.0")
    body = msg.get_content()
    missing = [s for s in expect_in_body if s not in body]
    ok("%s mail: body says %s" % (lang, " / ".join(expect_in_body)), not missing)
    if missing:
        print("# missing %r in:\n%s" % (missing, body))
    return body


def main():
    tool = sys.argv[1]
    ok = Checks()
    with tempfile.TemporaryDirectory() as d:
        box = Mailbox()
        smtp_port = free_port()
        smtp = Controller(box, hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        rx = HttpsReceiver(d)
        closed = free_port()
        base = ["notify.smtp.url=smtp://127.0.0.1:%d" % smtp_port,
                "notify.smtp.from=soc@example.jp", "notify.smtp.from-name=お助け隊 SOC",
                "notify.ca-file=" + rx.ca, "notify.line.api=" + rx.url + "/line",
                "notify.chatwork.api=" + rx.url + "/chatwork", "notify.timeout=20"]
        try:
            # ---- mail ----
            res = send(tool, base, ["mail|ja|owner@example.jp|", "mail|en|staff@example.jp|",
                                    "mail|ja|bad@example.jp|", "mail|ja|later@example.jp|",
                                    "mail|ja|not an address|"])
            ok("mail: delivered in Japanese and English", result(res, 0) == "sent" and
               result(res, 1) == "sent")
            ok("mail: 550 recipient is FAILED, named", result(res, 2) == "failed" and
               "550" in res[2]["why"])
            ok("mail: 451 recipient is RETRY", result(res, 3) == "retry" and "451" in res[3]["why"])
            ok("mail: a malformed address is FAILED", result(res, 4) == "failed")
            got = {m[1][0]: m for m in box.messages if m[1]}
            ok("mail: two messages arrived, envelope from soc@example.jp",
               len(box.messages) == 2 and all(m[0] == "soc@example.jp" for m in box.messages))
            if "owner@example.jp" in got:
                body = check_mail(ok, got["owner@example.jp"][2], SUBJECT_JA,
                                  ["■ 何が起きたか", "IPアドレス 192.168.1.23 の機器",
                                   "LANケーブルを抜いてください", "電源は切らないでください",
                                   "担当者からの電話をお待ちください",
                                   "お助け隊サポート 0120-000-000",
                                   "2026年11月22日 15:04 〜 2026年11月22日 15:30（日本時間）",
                                   "回数：12回", CONSOLE, "詳細（技術情報）",
                                   "検知ルール：ET MALWARE Win32/Emotet"], "ja")
                ok("ja mail: the details come last",
                   body.index("詳細（技術情報）") > body.index("今すぐしてほしいこと"))
            if "staff@example.jp" in got:
                check_mail(ok, got["staff@example.jp"][2], SUBJECT_EN,
                           ["What to do now", "Unplug the network (LAN) cable",
                            "2026-11-22T06:04:05Z to 2026-11-22T06:30:00Z", "Events: 12"], "en")
            res = send(tool, base + ["notify.smtp.starttls=require"], ["mail|ja|owner@example.jp|"])
            ok("mail: STARTTLS required of a server without it is RETRY",
               result(res, 0) == "retry")
            res = send(tool, ["notify.smtp.url=smtp://127.0.0.1:%d" % closed,
                              "notify.smtp.from=soc@example.jp"], ["mail|ja|owner@example.jp|"])
            ok("mail: a closed port is RETRY", result(res, 0) == "retry")

            # ---- HTTPS channels ----
            rx.take()
            hook = rx.url + "/hook"
            res = send(tool, base, [
                "line|ja|%s|%s" % (LINE_ID, LINE_TOKEN),
                "teams|ja|%s/teams/flow?sig=x|" % rx.url,
                "slack|en|%s/slack/T1/B1|" % rx.url,
                "chatwork|ja|12345|%s" % CHATWORK_TOKEN,
                "webhook|ja|%s|%s" % (hook, HOOK_SECRET),
                "webhook|en|%s|" % hook,
            ])
            ok("https: all six delivered", [r["result"] for r in res] == ["sent"] * 6)
            reqs = rx.take()
            ok("https: six POSTs", len(reqs) == 6 and all(r["method"] == "POST" for r in reqs))
            by = {r["path"].split("/")[1]: [] for r in reqs}
            for r in reqs:
                by[r["path"].split("/")[1]].append(r)

            line = by.get("line", [None])[0]
            if line:
                j = json.loads(line["body"])
                ok("line: POST /v2/bot/message/push with the Bearer token",
                   line["path"] == "/line/v2/bot/message/push" and
                   line["headers"].get("Authorization") == "Bearer " + LINE_TOKEN)
                ok("line: {to, messages: [{type: text, text}]}",
                   j["to"] == LINE_ID and len(j["messages"]) == 1 and
                   j["messages"][0]["type"] == "text" and
                   j["messages"][0]["text"].startswith(SUBJECT_JA + "\n") and
                   "LANケーブル" in j["messages"][0]["text"] and
                   len(j["messages"][0]["text"]) <= 5000)
                ok("line: JSON content type",
                   line["headers"].get("Content-Type", "").startswith("application/json"))

            teams = by.get("teams", [None])[0]
            if teams:
                j = json.loads(teams["body"])
                att = j.get("attachments", [{}])[0]
                card = att.get("content", {})
                texts = [b.get("text") for b in card.get("body", [])]
                ok("teams: query string kept", teams["path"] == "/teams/flow?sig=x")
                ok("teams: a message with an Adaptive Card attachment",
                   j["type"] == "message" and
                   att["contentType"] == "application/vnd.microsoft.card.adaptive" and
                   card["type"] == "AdaptiveCard" and card["version"] == "1.4")
                ok("teams: subject first, steps, facts, console button",
                   texts[0] == SUBJECT_JA and "今すぐしてほしいこと" in texts and
                   any(t and "LANケーブル" in t for t in texts) and
                   any(b["type"] == "FactSet" for b in card["body"]) and
                   card["actions"][0]["type"] == "Action.OpenUrl" and
                   card["actions"][0]["url"] == CONSOLE)

            slack = by.get("slack", [None])[0]
            if slack:
                j = json.loads(slack["body"])
                kinds = [b["type"] for b in j["blocks"]]
                allmd = json.dumps(j, ensure_ascii=False)
                ok("slack: text and blocks (header, sections, button, context)",
                   j["text"] == SUBJECT_EN and kinds[0] == "header" and "section" in kinds and
                   "actions" in kinds and kinds[-1] == "context" and
                   j["blocks"][0]["text"]["text"] == SUBJECT_EN)
                ok("slack: sections in mrkdwn with bold headings",
                   any(b["type"] == "section" and b["text"]["text"].startswith("*What to do now*\n")
                       for b in j["blocks"]))
                ok("slack: <, > and & of a device's text escaped",
                   "&lt;!channel&gt;" in allmd and "<!channel>" not in allmd)

            cw = by.get("chatwork", [None])[0]
            if cw:
                form = urllib.parse.parse_qs(cw["body"].decode())
                text = form.get("body", [""])[0]
                ok("chatwork: POST /v2/rooms/12345/messages with X-ChatWorkToken",
                   cw["path"] == "/chatwork/v2/rooms/12345/messages" and
                   cw["headers"].get("X-ChatWorkToken") == CHATWORK_TOKEN and
                   cw["headers"].get("Content-Type") == "application/x-www-form-urlencoded")
                ok("chatwork: body=[info][title]subject[/title]...[/info], self_unread=0",
                   text.startswith("[info][title]" + SUBJECT_JA + "[/title]") and
                   text.endswith("[/info]") and form.get("self_unread") == ["0"])
                ok("chatwork: a device's [To:1] cannot become a tag",
                   "[To:1]" not in text and "［To:1］" in text)

            hooks = by.get("hook", [])
            signed = [r for r in hooks if "X-Otasuke-Signature" in r["headers"]]
            unsigned = [r for r in hooks if "X-Otasuke-Signature" not in r["headers"]]
            ok("webhook: one signed, one without a secret unsigned",
               len(signed) == 1 and len(unsigned) == 1)
            if signed:
                r = signed[0]
                ts = r["headers"].get("X-Otasuke-Timestamp", "")
                mac = hmac.new(HOOK_SECRET.encode(), ts.encode() + b"." + r["body"],
                               hashlib.sha256).hexdigest()
                ok("webhook: X-Otasuke-Signature is sha256=HMAC(secret, timestamp.body)",
                   hmac.compare_digest(r["headers"]["X-Otasuke-Signature"], "sha256=" + mac))
                ok("webhook: timestamp is now", ts.isdigit() and abs(int(ts) - time.time()) < 300)
                bad = hmac.new(b"other", ts.encode() + b"." + r["body"], hashlib.sha256).hexdigest()
                ok("webhook: another key does not verify", "sha256=" + bad != r["headers"]["X-Otasuke-Signature"])
                j = json.loads(r["body"])
                inc = j["incident"]
                ok("webhook: the documented schema",
                   j["type"] == "otasuke.incident" and j["version"] == 1 and
                   inc["id"] == INCIDENT[1] and inc["tenant"] == "テスト薬局" and
                   inc["severity"] == 1 and inc["severity_name"] == "critical" and
                   inc["kind"] == "trojan-activity" and inc["src_ip"] == "192.168.1.23" and
                   inc["event_count"] == 12 and inc["first_seen"] == "2026-11-22T06:04:05Z" and
                   inc["last_seen"] == "2026-11-22T06:30:00Z" and inc["console_url"] == CONSOLE and
                   inc["escalated"] is False and j["message"]["lang"] == "ja" and
                   j["message"]["subject"] == SUBJECT_JA)
            if unsigned:
                ok("webhook: English message when asked",
                   json.loads(unsigned[0]["body"])["message"]["subject"] == SUBJECT_EN)

            # ---- refusals ----
            res = send(tool, base, [
                "webhook|ja|%s/s429/hook|" % rx.url,
                "webhook|ja|%s/s500/hook|" % rx.url,
                "webhook|ja|%s/s400/hook|" % rx.url,
                "webhook|ja|https://127.0.0.1:%d/hook|" % closed,
                "line|ja|U123|%s" % LINE_TOKEN,
                "chatwork|ja|room-1|%s" % CHATWORK_TOKEN,
                "teams|ja|http://127.0.0.1/plain|",
                "pager|ja|x|",
            ])
            ok("429 is RETRY with Retry-After 7", result(res, 0) == "retry" and
               res[0]["retry_after"] == 7)
            ok("500 is RETRY", result(res, 1) == "retry" and res[1]["why"].startswith("HTTP 500"))
            ok("400 is FAILED with the receiver's reason", result(res, 2) == "failed" and
               res[2]["why"].startswith("HTTP 400: refused, token"))
            ok("a closed port is RETRY", result(res, 3) == "retry")
            ok("malformed LINE id, room id, http:// URL, unknown channel: FAILED",
               [result(res, i) for i in range(4, 8)] == ["failed"] * 4)
            reqs = rx.take()
            ok("nothing sent for the malformed targets", len(reqs) == 3)

            res = send(tool, base, ["line|ja|%s|%s" % (LINE_ID, LINE_TOKEN)], ["--escalated"])
            j = json.loads(rx.take()[0]["body"]) if res else {}
            ok("escalated: the subject and the text say so",
               result(res, 0) == "sent" and
               j["messages"][0]["text"].startswith("【再通知・緊急】ウイルス感染の疑い") and
               "次の連絡先のあなた" in j["messages"][0]["text"])
            res = send(tool, [s for s in base if not s.startswith("notify.line.api")] +
                       ["notify.line.api=" + rx.url + "/s429/line"],
                       ["line|ja|%s|%s" % (LINE_ID, LINE_TOKEN)])
            ok("line: 429 (rate or monthly limit) is RETRY", result(res, 0) == "retry")
            res = send(tool, [s for s in base if not s.startswith("notify.line.api")] +
                       ["notify.line.api=" + rx.url + "/s400/line"],
                       ["line|ja|%s|%s" % (LINE_ID, LINE_TOKEN)])
            ok("line: 400 is FAILED, and the token the receiver echoed is not in why",
               result(res, 0) == "failed" and res[0]["why"].startswith("HTTP 400: refused, token") and
               LINE_TOKEN not in res[0]["why"])
            reqs = rx.take()
            ok("line: the receiver did echo the token",
               len(reqs) == 2 and reqs[-1]["headers"]["Authorization"] == "Bearer " + LINE_TOKEN)

            # ---- configuration ----
            for bad, key in (("notify.smtp.starttls=maybe", "notify.smtp.starttls"),
                             ("notify.line.api=http://127.0.0.1/line", "notify.line.api"),
                             ("notify.smtp.url=imap://127.0.0.1", "notify.smtp.url"),
                             ("notify.smtp.user=soc", "notify.smtp.user")):
                p = subprocess.run([tool, "--set", "notify.smtp.from=soc@example.jp", "--set", bad,
                                    "webhook|ja|%s|" % hook], capture_output=True, text=True)
                ok("config: %s refused, naming %s" % (bad, key),
                   p.returncode != 0 and key in p.stderr and not p.stdout)
        finally:
            smtp.stop()
            rx.shutdown()
            rx.server_close()
    return ok.status()


if __name__ == "__main__":
    sys.exit(main())
