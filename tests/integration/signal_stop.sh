#!/usr/bin/env bash
# SIGINT and SIGTERM in the middle of a long run leave a valid, flushed pcap
# and a summary.
. "$(dirname "$0")/lib.sh"
command -v capinfos >/dev/null || skip "capinfos (tshark) is not installed"

cfg=$(config_into_tmp "$TG_SOURCE_ROOT/config/default.cfg")
for sig in INT TERM; do
	rm -rf "$tmp/out"
	"$TEMPOGEN" -c "$cfg" -d 1000000 > "$tmp/run.log" 2>&1 &
	pid=$!
	sleep 2
	kill -s "$sig" "$pid"
	rc=0; wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$tmp/run.log"; fail "SIG$sig: exit status $rc"; }
	grep -q "^summary:" "$tmp/run.log" || fail "SIG$sig: no summary"
	grep -q "stopped by signal" "$tmp/run.log" || fail "SIG$sig: no stop message"
	pcap=$tmp/out/demo.pcap
	reported=$(sed -n 's/^pcap written: .* (\([0-9]*\) packets)$/\1/p' "$tmp/run.log" | tail -n1)
	# capinfos reads every record and fails on a torn one.
	read_back=$(capinfos -c -M "$pcap" 2> "$tmp/capinfos.err" | sed -n 's/^Number of packets: *//p') ||
		{ cat "$tmp/capinfos.err"; fail "SIG$sig: the pcap is not whole"; }
	[ ! -s "$tmp/capinfos.err" ] || { cat "$tmp/capinfos.err"; fail "SIG$sig: capinfos complains about the pcap"; }
	[ "$read_back" -gt 0 ] || fail "SIG$sig: empty pcap"
	[ "$read_back" -eq "$reported" ] || fail "SIG$sig: summary says $reported packets, file has $read_back"
	echo "SIG$sig: $read_back packets, valid"
done
echo "ok"
