#!/usr/bin/env bash
# SIGINT and SIGTERM at random moments, from start-up to the middle of the
# run: TG_SIGNAL_RUNS runs (6), each stopped after a random 0.05 to 2 s
# (seed TG_SIGNAL_SEED, 7: the same moments every time) counted from the
# launch or, every other run, from the first live statistics line; SIGINT
# and SIGTERM in turn. Each run exits 0 with its summary and stop message; the pcap is
# whole (capinfos reads each record, as many as the summary says; tshark
# reads it without finding it cut short) and its labels are whole JSON
# lines listing exactly the flows of the pcap (labels_check.py).
#
# A pcap port alone runs as fast as the CPU goes (~250k packets/s) and
# checking labels costs ~0.1 ms a packet, so its worker also feeds a
# net_null port in bursts of 512 while the pcap port takes one packet a
# round: a few thousand packets a second, files small enough to check.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
check=$(dirname "$0")/labels_check.py
runs=${TG_SIGNAL_RUNS:-6}
seed=${TG_SIGNAL_SEED:-7}
pcap=$tmp/out/demo.pcap

cat > "$tmp/signals.cfg" <<CFG
run = { output_dir = "$tmp/out"; stats_interval = 0.1; };
lcores = { control = 0; workers = [ 1 ]; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 256;
        args = [ "--log-level=notice" ]; };
ports = ( { name = "demo"; pcap = "demo.pcap"; labels = "demo.jsonl";
            sessions = 5000; burst = 1; },
          { name = "null0"; device = "net_null0,no-rx=1";
            clients = { ipv4 = "10.2.0.0/16"; ipv6 = "fd00:3::/64"; };
            servers = { ipv4 = "198.19.0.0/20"; ipv6 = "fd00:4::/64"; };
            rate = "unlimited"; burst = 512; } );
CFG

# The moments, from a seeded generator: reproducible.
mapfile -t delays < <(python3 -c '
import random, sys
r = random.Random(int(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    print("%.2f" % r.uniform(0.05, 2.0))' "$seed" "$runs")

# The pcap is whole and holds what the summary says.
check_pcap() {
	local reported read_back
	reported=$(sed -n "s|^pcap written: $pcap (\([0-9]*\) packets)\$|\1|p" "$tmp/run.log")
	[ -n "$reported" ] || fail "$what: no summary line for $pcap"
	read_back=$(capinfos -c -M "$pcap" 2> "$tmp/capinfos.err" | sed -n 's/^Number of packets: *//p') ||
		{ cat "$tmp/capinfos.err"; fail "$what: the pcap is not whole"; }
	[ ! -s "$tmp/capinfos.err" ] || { cat "$tmp/capinfos.err"; fail "$what: capinfos complains about the pcap"; }
	[ "$read_back" -eq "$reported" ] || fail "$what: summary says $reported packets, the pcap has $read_back"
	tshark -n -r "$pcap" > /dev/null 2> "$tmp/tshark.err" ||
		{ cat "$tmp/tshark.err"; fail "$what: tshark cannot read the pcap"; }
	! grep -Eiq "cut short|appears to be damaged|corrupt" "$tmp/tshark.err" ||
		{ cat "$tmp/tshark.err"; fail "$what: tshark finds the pcap torn"; }
}

for ((r = 0; r < runs; r++)); do
	sig=$( ((r % 2)) && echo TERM || echo INT)
	what="run $((r + 1)) (SIG$sig after ${delays[r]} s)"
	rm -rf "$tmp/out"
	"$TEMPOGEN" -c "$tmp/signals.cfg" -d 1000000 > "$tmp/run.log" 2>&1 &
	pid=$!
	# Runs 1, 3, 5 count from the launch: start-up takes a second or
	# more, so these mostly land there. Runs 2, 4, 6 count from the first
	# live statistics line, 0.1 s into the run: the middle of the run.
	if ((r % 2)); then
		t=0
		while ! grep -q 'pkt/s' "$tmp/run.log" && ((t++ < 400)); do sleep 0.05; done
		what="$what into the run"
	fi
	sleep "${delays[r]}"
	kill -s "$sig" "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$tmp/run.log"; fail "$what: exit status $rc"; }
	grep -q "^summary:" "$tmp/run.log" || { cat "$tmp/run.log"; fail "$what: no summary"; }
	grep -q "^stopped by signal $(kill -l "$sig")\$" "$tmp/run.log" || fail "$what: no stop message"
	check_pcap
	python3 "$check" "$pcap" "$tmp/out/demo.jsonl" > "$tmp/check.txt" ||
		{ cat "$tmp/check.txt"; fail "$what: labels and pcap disagree"; }
	# 0.00 s: the signal came during start-up.
	ran=$(sed -n 's/^summary: \(.*\)$/\1/p' "$tmp/run.log")
	echo "$what: ran $ran; $(cat "$tmp/check.txt")"
done
echo "ok"
