#!/bin/sh
# live.sh SENSOR: live capture on a real interface.  Builds a veth pair
# between two network namespaces of its own, runs the sensor on one end
# (as root; it must then drop to run-as.user) with an empty rules file,
# pings, then writes a rule into the file and sends SIGHUP (the sensor,
# now run-as.user, reloads it), sends UDP across, stops the sensor with
# SIGTERM and checks the flows and alerts it logged.  Skipped (exit 77)
# without root or without the ip command.
set -u
sensor=$(readlink -f "$1")
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
command -v ip >/dev/null || { echo "skip: no ip command"; exit 77; }
t=$(mktemp -d)
ns1=otasuke-test-a-$$ ns2=otasuke-test-b-$$
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
	ip netns del "$ns1" 2>/dev/null
	ip netns del "$ns2" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
ip netns add "$ns1" && ip netns add "$ns2" || { echo "skip: cannot create namespaces"; exit 77; }
ip link add veth-a netns "$ns1" type veth peer name veth-b netns "$ns2" || { echo "skip: no veth"; exit 77; }
ip -n "$ns1" addr add 10.99.0.1/24 dev veth-a
ip -n "$ns2" addr add 10.99.0.2/24 dev veth-b
ip -n "$ns1" link set veth-a up
ip -n "$ns2" link set veth-b up
ip -n "$ns1" link set lo up

mkdir -p "$t/log"
chmod 755 "$t"
: >"$t/live.rules"
chmod 644 "$t/live.rules"
ip netns exec "$ns1" "$sensor" -i veth-a -l "$t/log" -S "$t/live.rules" --set run-as.user=nobody 2>"$t/err" &
pid=$!
sleep 2
ip netns exec "$ns2" ping -c 3 -i 0.2 10.99.0.1 >/dev/null
echo 'alert udp any any -> any 9999 (msg:"live reload"; content:"hello otasuke"; sid:1;)' >"$t/live.rules"
kill -HUP "$pid"
for i in $(seq 50); do
	grep -q "reload done" "$t/err" && break
	sleep 0.2
done
ip netns exec "$ns2" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(b"hello otasuke", ("10.99.0.1", 9999))
'
sleep 1
owner=$(ps -o user= -p "$pid" | tr -d " ")
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
fails=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fails=$((fails + 1)); fi; }
check "the sensor stops cleanly on SIGTERM" '[ $rc -eq 0 ]'
check "the sensor dropped root for run-as.user" '[ "$owner" = nobody ]'
check "the ping is one ICMP flow with 3 requests and 3 replies" \
	'grep "\"event_type\":\"flow\"" "$t/log/eve.json" | grep "\"proto\":\"ICMP\"" | grep -q "\"pkts_toserver\":3,\"pkts_toclient\":3"'
check "the UDP datagrams are one flow of 5 packets to port 9999" \
	'grep "\"event_type\":\"flow\"" "$t/log/eve.json" | grep "\"dest_port\":9999" | grep -q "\"pkts_toserver\":5"'
check "live events carry no pcap_cnt" '! grep -q pcap_cnt "$t/log/eve.json"'
check "SIGHUP reloads the rules while capturing, as run-as.user" 'grep -q "reload done: 1 rules in use" "$t/err"'
check "the rule added by the reload alerts on each of the 5 datagrams" \
	'[ $(grep "\"event_type\":\"alert\"" "$t/log/eve.json" | grep -c "\"signature\":\"live reload\"") -eq 5 ]'
check "stats: one reload, no kernel drop" \
	'grep "\"event_type\":\"stats\"" "$t/log/eve.json" | grep -q "\"reloads\":1,\"reload_failures\":0" && ! grep -q "kernel dropped" "$t/err"'
[ $fails -eq 0 ] || { cat "$t/err"; cat "$t/log/eve.json"; }
exit $fails
