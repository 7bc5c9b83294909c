#!/bin/sh
# et-open.sh SENSOR: the sensor loads the Emerging Threats Open ruleset
# (../shared/data/rules/et-open) with at least 97% of its rules accepted;
# prints the figure and the most common rejection reasons.
set -u
sensor=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${OT_SHARED:-$root/../shared}
dir=$shared/data/rules/et-open
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
if ! ls "$dir"/*.rules >/dev/null 2>&1; then
	echo "no ET Open rules in $dir"
	exit 77
fi
args=""
for f in "$dir"/*.rules; do
	args="$args -s $f"
done
# shellcheck disable=SC2086
"$sensor" --dump-rejected $args >"$t/rejected" 2>"$t/err"
rc=$?
if [ $rc -ne 0 ]; then
	echo "not ok - the sensor failed (exit $rc)"
	cat "$t/err"
	exit 1
fi
total=$(cat "$dir"/*.rules | sed 's/\r$//' | grep -c -E '^[[:space:]]*(alert|drop|pass|reject|rejectsrc|rejectdst|rejectboth)[[:space:]]')
# rules that load but are not matched yet are listed too, after the rejected
grep -v ": loaded, not matched: " "$t/rejected" >"$t/refused"
grep ": loaded, not matched: " "$t/rejected" >"$t/left"
rejected=$(grep -c . "$t/refused")
left=$(grep -c . "$t/left")
notice=$(grep "rules loaded" "$t/err")
echo "$notice"
echo "$total rules in the files, $rejected rejected, $left loaded but not matched yet"
echo "top rejection reasons:"
sed -e "s/^[^ ]* sid [0-9]*:\{0,1\} //" -e "s/'[^']*'/X/2g" "$t/refused" | sort | uniq -c | sort -rn | head -10
echo "not matched yet:"
sed -e "s/^[^ ]* sid [0-9]*:\{0,1\} //" "$t/left" | sort | uniq -c | sort -rn | head -10
# every listed line names file:line, sid and a reason
bad=$(grep -c -v -E "^[^ ]+:[0-9]+ sid [0-9]+( keyword '[^']+')?: .+" "$t/rejected")
if [ "$bad" -ne 0 ]; then
	echo "not ok - $bad rejection lines are not 'file:line sid N keyword X: reason'"
	exit 1
fi
ok=$(awk -v t="$total" -v r="$rejected" 'BEGIN { a = (t - r) * 100.0 / t; printf "%.2f", a; exit !(a >= 97.0) }')
st=$?
echo "accepted: $ok%; matched: $(awk -v t="$total" -v r="$rejected" -v l="$left" 'BEGIN { printf "%.2f", (t - r - l) * 100.0 / t }')%"
if [ $st -ne 0 ]; then
	echo "not ok - fewer than 97% of the ET Open rules accepted"
	exit 1
fi
echo "ok - at least 97% of the ET Open rules accepted"
