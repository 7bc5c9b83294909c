#!/bin/sh
# cli.sh SENSOR: the sensor's command line: help, version, configuration
# checks with file and line, bad input files reported with their names,
# truncated captures read up to the damage, folders, and docs in step with
# the configuration table.
set -u
sensor=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${OT_SHARED:-$root/../shared}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fails=0
ok() { echo "ok - $1"; }
no() { echo "not ok - $1"; fails=$((fails + 1)); }
expect() { if eval "$2"; then ok "$1"; else no "$1"; fi; }

pcap=$shared/data/suricata-verify/logs-core/dns__dns-udp-eve-dig/input.pcap

"$sensor" --help >"$t/help" 2>&1
expect "--help exits 0 and shows usage" '[ $? -eq 0 ] && grep -q "^Usage: otasuke-sensor" "$t/help"'
"$sensor" --version >"$t/ver" 2>&1
expect "--version names the program" 'grep -q "^otasuke-sensor [0-9]" "$t/ver"'

cat >"$t/bad.yaml" <<'YAML'
stream:
  midstream: perhaps
  reassembly:
    depth: 12zz
flow:
  hash-sise: 10
YAML
"$sensor" -c "$t/bad.yaml" -T >"$t/out" 2>"$t/err"
rc=$?
expect "-T on a bad configuration exits 1" '[ $rc -eq 1 ]'
expect "-T names line 2 (bad boolean)" 'grep -q "bad.yaml:2" "$t/err"'
expect "-T names line 4 (bad size)" 'grep -q "bad.yaml:4" "$t/err"'
expect "-T names line 6 (unknown key) and suggests the right one" 'grep "bad.yaml:6" "$t/err" | grep -q "hash-size"'

printf 'stream:\n  midstream: yes\n' >"$t/good.yaml"
"$sensor" -c "$t/good.yaml" -T >"$t/out" 2>"$t/err"
expect "-T on a good configuration exits 0" '[ $? -eq 0 ] && grep -q "configuration OK" "$t/out"'

"$sensor" -r "$pcap" -l "$t/o1" --set app-layer.protocols.smb.max-tx=3 -k none 2>"$t/err"
rc=$?
expect "unknown Suricata --set key only warns" '[ $rc -eq 0 ] && grep -q "smb.max-tx" "$t/err"'
expect "events are written" 'grep -q "\"event_type\":\"dns\"" "$t/o1/eve.json"'

"$sensor" -r "$pcap" -l "$t/o2" --set stream.midstream=maybe 2>"$t/err"
expect "a bad --set value is an error naming the option" '[ $? -ne 0 ] && grep -q "stream.midstream=maybe" "$t/err"'

"$sensor" -r "$t/missing.pcap" -l "$t/o3" 2>"$t/err"
expect "a missing capture is reported by name" '[ $? -ne 0 ] && grep -q "missing.pcap" "$t/err"'

echo "not a capture" >"$t/junk.pcap"
"$sensor" -r "$t/junk.pcap" -l "$t/o4" 2>"$t/err"
expect "a file that is not a capture is reported" '[ $? -ne 0 ] && grep -q "junk.pcap" "$t/err"'

size=$(stat -c %s "$pcap")
head -c $((size - 20)) "$pcap" >"$t/cut.pcap"
"$sensor" -r "$t/cut.pcap" -l "$t/o5" 2>"$t/err"
rc=$?
expect "a truncated capture is read up to the damage" '[ $rc -eq 0 ] && grep -q "\"event_type\":\"flow\"" "$t/o5/eve.json"'

mkdir "$t/dir"
cp "$pcap" "$t/dir/a.pcap"
cp "$t/junk.pcap" "$t/dir/b.pcap"
cp "$pcap" "$t/dir/c.pcap"
"$sensor" -r "$t/dir" -l "$t/o6" 2>"$t/err"
rc=$?
n=$(grep -c '"event_type":"dns"' "$t/o6/eve.json")
expect "a folder is read file by file, a bad file reported and skipped" '[ $rc -eq 0 ] && [ "$n" -eq 4 ] && grep -q "b.pcap" "$t/err"'

"$sensor" -r "$pcap" -l "$t/o7" --set outputs.eve.rotate-size=2kb --set outputs.eve.rotate-count=2 2>/dev/null
expect "eve.json rotates by size" '[ -f "$t/o7/eve.json.1" ]'

tcp_pcap=$shared/data/suricata-verify/logs-core/http-options-method/input.pcap
"$sensor" -r "$tcp_pcap" -l "$t/o8" udp 2>/dev/null
expect "a trailing BPF expression filters what is read" '! grep -q "\"proto\":\"TCP\"" "$t/o8/eve.json"'
echo "tcp" >"$t/filter.bpf"
"$sensor" -r "$tcp_pcap" -l "$t/o9" -F "$t/filter.bpf" 2>/dev/null
expect "-F reads the BPF filter from a file" 'grep -q "\"proto\":\"TCP\"" "$t/o9/eve.json"'
"$sensor" -r "$tcp_pcap" -l "$t/o10" "port nonsense" 2>"$t/err"
expect "a bad BPF expression is an error that quotes it" '[ $? -ne 0 ] && grep -q "port nonsense" "$t/err"'

"$sensor" -r "$pcap" -l "$t/o11" --set sensor.id=front-desk --set sensor.tenant=pharmacy-01 2>/dev/null
n=$(wc -l <"$t/o11/eve.json")
m=$(grep -c '"host":"front-desk","tenant":"pharmacy-01"' "$t/o11/eve.json")
expect "every event names its sensor and tenant" '[ "$n" -gt 0 ] && [ "$n" -eq "$m" ]'

"$sensor" --dump-config >"$t/keys.md"
expect "docs/otasuke-sensor.yaml.md lists every configuration key as --dump-config does" \
	'grep -F -f "$t/keys.md" -x -q "$root/docs/otasuke-sensor.yaml.md" && [ $(grep -c -F -x -f "$t/keys.md" "$root/docs/otasuke-sensor.yaml.md") -ge $(wc -l <"$t/keys.md") ]'

echo "$fails failed"
[ $fails -eq 0 ]
