#!/usr/bin/env bash
# Rate targets (issue 4): a bit/s and a packet/s target on net_null ports,
# met within 1% over 10 s by the population of sessions and the speed of
# the model clock; the summary reports the pacing error percentiles.
. "$(dirname "$0")/lib.sh"

cat > "$tmp/rate.cfg" <<CFG
run = { duration = 10.0; output_dir = "$tmp/out"; stats_interval = 1.0; };
lcores = { control = 0; workers = [ 1 ]; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 256;
        args = [ "--log-level=notice" ]; };
ports = (
  { name = "bits"; device = "net_null0,no-rx=1";
    clients = { ipv4 = "10.1.0.0/16"; }; servers = { ipv4 = "198.18.0.0/20"; };
    rate = "150 Mbit/s"; },
  { name = "pkts"; device = "net_null1,no-rx=1";
    clients = { ipv4 = "10.2.0.0/16"; }; servers = { ipv4 = "198.19.0.0/20"; };
    rate = "20 kpps"; }
);
CFG
"$TEMPOGEN" -c "$tmp/rate.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
cat "$tmp/run.log"

# "  rate target 150.000 Mbit/s  achieved 149.951 (-0.03%) over 10.00 s ..."
check_rate() {
	local port=$1 line err
	line=$(grep -A1 -E "^  $port +packets" "$tmp/run.log" | grep 'rate target') ||
		fail "$port: no rate line in the summary"
	err=$(echo "$line" | sed -E 's/.*achieved [0-9.]+ \(([-+][0-9.]+)%\).*/\1/')
	awk -v e="$err" 'BEGIN { exit !(e >= -1 && e <= 1) }' ||
		fail "$port: rate off its target by $err%"
	echo "$port: within $err% of its target"
}
check_rate bits
check_rate pkts

# The pacing error percentiles, in order, for both ports.
n=$(grep -cE 'pacing error \(sent - scheduled\) p50 [0-9.]+ us  p90 [0-9.]+ us  p99 [0-9.]+ us  p99.9 [0-9.]+ us  max [0-9.]+ us' "$tmp/run.log")
[ "$n" -eq 2 ] || fail "pacing error percentiles for $n ports, expected 2"
grep -E 'pacing error' "$tmp/run.log" | sed -E 's/.*p50 ([0-9.]+) us  p90 ([0-9.]+) us  p99 ([0-9.]+) us  p99.9 ([0-9.]+) us  max ([0-9.]+) us/\1 \2 \3 \4 \5/' |
	awk '{ for (i = 2; i <= 5; i++) if ($i + 0 < $(i - 1) + 0) exit 1 }' ||
	fail "pacing percentiles not in order"
# The population moved: the live lines show the sessions at work.
grep -qE '^\[ *[0-9.]+s\] bits .* sessions [1-9]' "$tmp/run.log" || fail "no sessions in the live lines"
echo "ok"
