#!/usr/bin/env bash
# The capture tap of a device port (issue 6): tempogen on net_null with
# `capture`, the writer on its own lcore mapped onto a busy core.
#  1. a paced run: the capture is a valid pcap (checksums, tshark's expert
#     info as pcap_valid.sh checks the fitted default), and the summary's
#     count is capinfos' count;
#  2. an unlimited run: every packet sent is either in the capture or
#     counted as a capture drop, in the live lines and the summary;
#  3. SIGINT in the middle leaves a whole capture and the same accounting;
#  4. a full disk (ulimit -f) ends the run with one error line naming the
#     capture and exit status 1; the file keeps whole records, and what
#     did not fit counts as dropped.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed"

# make_cfg DURATION RATE: lcore 2 writes, mapped onto core 0 with the
# control lcore (the machine may have two cores).
make_cfg() {
	cat > "$tmp/cap.cfg" <<CFG
run = { duration = $1; output_dir = "$tmp/out"; };
lcores = { control = 0; workers = [ 1 ]; capture = 2; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 256;
        args = [ "--log-level=notice", "--lcores", "0@0,1@1,2@0" ]; };
ports = ( { name = "null0"; device = "net_null0,no-rx=1";
            sessions = 50000; rate = "$2"; capture = "null0.pcap"; } );
CFG
}

# Packets the summary says the port sent, and the capture line's figures.
sent() { sed -nE 's/^  null0 +packets ([0-9]+) .*/\1/p' "$tmp/run.log"; }
captured() { sed -nE 's/^capture written: .* \(([0-9]+) packets, [0-9]+ dropped\)$/\1/p' "$tmp/run.log"; }
dropped() { sed -nE 's/^capture written: .* \([0-9]+ packets, ([0-9]+) dropped\)$/\1/p' "$tmp/run.log"; }

# The file is whole, holds what the summary says, and the summary
# accounts for every packet sent.
check_accounting() {
	local what=$1 pcap=$tmp/out/null0.pcap read_back
	grep -q "^capture written: $pcap (" "$tmp/run.log" || { cat "$tmp/run.log"; fail "$what: no capture line"; }
	read_back=$(capinfos -c -M "$pcap" 2> "$tmp/capinfos.err" | sed -n 's/^Number of packets: *//p') ||
		{ cat "$tmp/capinfos.err"; fail "$what: the capture is not whole"; }
	[ ! -s "$tmp/capinfos.err" ] || { cat "$tmp/capinfos.err"; fail "$what: capinfos complains"; }
	[ "$read_back" -gt 0 ] || fail "$what: empty capture"
	[ "$read_back" -eq "$(captured)" ] || fail "$what: summary says $(captured) packets, file has $read_back"
	[ $((read_back + $(dropped))) -eq "$(sent)" ] ||
		fail "$what: $(sent) sent but $read_back captured + $(dropped) dropped"
	echo "$what: sent $(sent), captured $read_back, dropped $(dropped)"
}

# 1. Paced: small enough for tshark, no drops expected (not required).
make_cfg 3.0 "20 kpps"
"$TEMPOGEN" -c "$tmp/cap.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
check_accounting paced
pcap=$tmp/out/null0.pcap
n=$(count_matching "$pcap" 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || icmpv6.checksum.status == "Bad"')
[ "$n" -eq 0 ] || fail "$pcap: $n packets with bad checksums"
n=$(count_matching "$pcap" '(_ws.malformed || _ws.expert.severity == "Error") && (http || dns || tls || icmp || icmpv6 || ntp)')
[ "$n" -eq 0 ] || fail "$pcap: $n malformed packets of protocols tempogen synthesizes"
total=$(capinfos -c -M "$pcap" | sed -n 's/^Number of packets: *//p')
n=$(count_matching "$pcap" '_ws.malformed || _ws.expert.severity == "Error"')
echo "paced: $n of $total packets malformed (random payload on dissected ports, as the demo)"
[ $((n * 100)) -lt "$total" ] || fail "$pcap: $n of $total packets malformed (1% allowed)"
# Send times: wall clock, in order within the one worker's tap.
tshark -r "$pcap" -T fields -e frame.time_epoch 2>/dev/null |
	awk -v now="$(date +%s)" 'NR == 1 && ($1 < now - 600 || $1 > now + 60) { print "first time " $1 " is not now"; exit 1 }
		$1 < last { print "time steps back at packet " NR; exit 1 } { last = $1 }' ||
	fail "$pcap: bad time stamps"

# 2. Unlimited: drops may happen; none may go uncounted.
rm -rf "$tmp/out"
make_cfg 2.0 unlimited
"$TEMPOGEN" -c "$tmp/cap.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
grep -Eq 'pkt/s .* capture drops [0-9]+$' "$tmp/run.log" || { cat "$tmp/run.log"; fail "live lines without capture drops"; }
grep '^capture writer:' "$tmp/run.log"
check_accounting unlimited

# 3. SIGINT during a long run.
rm -rf "$tmp/out"
make_cfg 1000000.0 "200 kpps"
"$TEMPOGEN" -c "$tmp/cap.cfg" > "$tmp/run.log" 2>&1 &
pid=$!
sleep 3
kill -s INT "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/run.log"; fail "SIGINT: exit status $rc"; }
grep -q "stopped by signal" "$tmp/run.log" || fail "SIGINT: no stop message"
check_accounting SIGINT

# 4. A 2 MiB file size limit (SIGXFSZ is ignored: write() gets EFBIG).
rm -rf "$tmp/out"
make_cfg 3.0 "20 kpps"
rc=0
(ulimit -f 2048; exec "$TEMPOGEN" -c "$tmp/cap.cfg") > "$tmp/run.log" 2> "$tmp/err.txt" || rc=$?
[ "$rc" -eq 1 ] || { cat "$tmp/run.log" "$tmp/err.txt"; fail "full disk: exit status $rc, expected 1"; }
[ "$(grep -c '^tempogen: ' "$tmp/err.txt")" -eq 1 ] &&
	grep -q "^tempogen: capture: writing $tmp/out/null0.pcap: File too large" "$tmp/err.txt" ||
	{ cat "$tmp/err.txt"; fail "full disk: not one error line naming the capture"; }
[ "$(stat -c %s "$tmp/out/null0.pcap")" -le $((2048 * 1024)) ] || fail "full disk: capture over the limit"
check_accounting "full disk"
[ "$(dropped)" -gt 0 ] || fail "full disk: nothing counted as dropped"
echo "ok"
