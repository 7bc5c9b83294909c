#!/bin/sh
# sv-score.sh SENSOR SUITE MIN: score the sensor against a suricata-verify
# suite in ../shared/data/suricata-verify (each test's own rules loaded with
# -S) and fail below MIN (0..1).  No prefilter cache is written.
set -eu
sensor=$1 suite=$2 min=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${OT_SHARED:-$root/../shared}
[ -d "$shared/data/suricata-verify/$suite" ] || { echo "no $shared/data/suricata-verify/$suite"; exit 1; }
exec python3 "$shared/tools/sv-score" --jobs 2 --timeout 120 --min "$min" \
	--engine "$sensor -r {pcap} -S {rules} -l {outdir} --set detect.cache-dir= {args}" \
	"$shared/data/suricata-verify/$suite"
