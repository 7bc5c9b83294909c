#!/bin/sh
# server-cli.sh OTASUKED OTASUKECTL: the command lines of otasuked and
# otasukectl: help, version, configuration checks with file and line,
# usage errors, and docs/otasuked.yaml.md in step with the key table.
set -u
server=$1
ctl=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d)
chmod 755 "$t"  # otasukectl run as root becomes nobody
trap 'rm -rf "$t"' EXIT
fails=0
ok() { echo "ok - $1"; }
no() { echo "not ok - $1"; fails=$((fails + 1)); }
expect() { if eval "$2"; then ok "$1"; else no "$1"; fi; }

"$server" --help >"$t/help" 2>&1
expect "otasuked --help exits 0 and shows usage" '[ $? -eq 0 ] && grep -q "^Usage: otasuked" "$t/help"'
"$server" --version >"$t/ver" 2>&1
expect "otasuked --version names the program" 'grep -q "^otasuked [0-9]" "$t/ver"'
"$ctl" --help >"$t/help" 2>&1
expect "otasukectl --help lists the commands" '[ $? -eq 0 ] && grep -q "token create TENANT" "$t/help"'

cat >"$t/bad.yaml" <<'YAML'
listen: 127.0.0.1
store:
  backend: mysql
ingest:
  max-lines: lots
  rate-limt:
    burst: 5
logging:
  level: loud
YAML
"$server" -c "$t/bad.yaml" -T >"$t/out" 2>"$t/err"
rc=$?
expect "-T on a bad configuration exits 1" '[ $rc -eq 1 ]'
expect "-T names the bad listen address and its line" 'grep "bad.yaml:1" "$t/err" | grep -q "listen"'
expect "-T names the unknown backend and the known ones" 'grep "bad.yaml:3" "$t/err" | grep -q "sqlite, postgresql"'
expect "-T names line 5 (not a number)" 'grep -q "bad.yaml:5" "$t/err"'
expect "-T names line 6 (unknown key) and suggests the right one" 'grep "bad.yaml:6" "$t/err" | grep -q "rate-limit"'
expect "-T names line 9 (bad level)" 'grep -q "bad.yaml:9" "$t/err"'

printf 'http:\n  max-buffered: 10mb\ningest:\n  max-bytes: 8mb\n' >"$t/buf.yaml"
"$server" -c "$t/buf.yaml" -T >"$t/out" 2>"$t/err"
expect "max-buffered below twice max-bytes is a problem" '[ $? -eq 1 ] && grep -q "max-buffered" "$t/err"'

printf 'store:\n  backend: postgresql\n' >"$t/pg.yaml"
"$server" -c "$t/pg.yaml" -T >"$t/out" 2>"$t/err"
expect "postgresql without a conninfo is a problem" '[ $? -eq 1 ] && grep -q "conninfo" "$t/err"'

printf 'listen: "[::1]:9443"\nstate-dir: %s/state\n' "$t" >"$t/good.yaml"
"$server" -c "$t/good.yaml" -T >"$t/out" 2>"$t/err"
expect "-T on a good configuration exits 0" '[ $? -eq 0 ] && grep -q "configuration OK" "$t/out"'
"$server" -c "$t/good.yaml" --set http.threads=0 -T >"$t/out" 2>"$t/err"
expect "a bad --set value is an error naming the option" '[ $? -eq 1 ] && grep -q "http.threads=0" "$t/err"'
"$server" -c "$t/missing.yaml" -T >"$t/out" 2>"$t/err"
expect "a missing configuration file is reported by name" '[ $? -eq 1 ] && grep -q "missing.yaml" "$t/err"'

"$ctl" -c "$t/good.yaml" >"$t/out" 2>"$t/err"
expect "otasukectl without a command: usage, exit 2" '[ $? -eq 2 ] && grep -q "^Usage" "$t/err"'
"$ctl" -c "$t/good.yaml" tenant remove x >"$t/out" 2>"$t/err"
expect "otasukectl with an unknown command: exit 2" '[ $? -eq 2 ]'
"$ctl" -c "$t/good.yaml" device list x --ttl 1h >"$t/out" 2>"$t/err"
expect "--ttl with another command is refused" '[ $? -eq 2 ] && grep -q "token create" "$t/err"'
"$ctl" -c "$t/good.yaml" events count nobody-here >"$t/out" 2>"$t/err"
expect "an unknown tenant is reported by name" '[ $? -eq 1 ] && grep -q "nobody-here" "$t/err"'

"$server" --dump-config >"$t/keys.md"
expect "docs/otasuked.yaml.md lists every configuration key as --dump-config does" \
	'grep -F -f "$t/keys.md" -x -q "$root/docs/otasuked.yaml.md" && [ $(grep -c -F -x -f "$t/keys.md" "$root/docs/otasuked.yaml.md") -ge $(wc -l <"$t/keys.md") ]'

echo "$fails failed"
[ $fails -eq 0 ]
