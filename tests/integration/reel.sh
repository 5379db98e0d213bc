#!/usr/bin/env bash
# Reel ports (issue 6): a recording of the fitted default played in a loop.
#  1. to a pcap port, five turns: valid (checksums, no malformed packet,
#     no TCP analysis problem: new 5-tuples each turn), every TCP stream
#     opens with its SYN (a packet that took the wrong turn's addresses
#     would open a stream of its own), clients move from turn to turn,
#     ciphertext is fresh every turn (few payloads of 200 bytes or more
#     come twice; nearly all do with fresh_ciphertext = false);
#  2. the zero-copy path, unlimited, on the net_pcap vdev (no frame copied,
#     heads lent: no carriers; bodies staged, each packet one segment):
#     what DPDK wrote passes the same checks;
#  3. unlimited on net_null: it runs, says how, and counts every packet;
#     at 500 kpps it meets the target within 1%;
#  4. paced, with a capture tap (which holds frames past their turn: those
#     go out as copies, and frames go in carriers): the capture passes the
#     same checks;
#  5. a short reel, unlimited, with the tap: frames come round while the
#     writer still holds them, so copies go out; their checksums hold;
#  6. a port that stops taking packets (net_ring, which nobody reads) while
#     holding lent frames: the player goes on in copies, so no frame it
#     holds is patched; the bytes counted are those sent.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed"

# TCP streams of $1 whose first packet is not a SYN: only flows cut at the
# start of the file (none: the first turn leaves them out).
assert_syn_first() {
	local bad
	bad=$(tshark -r "$1" -Y tcp -T fields -e tcp.stream -e tcp.flags.syn \
		-e tcp.flags.ack 2>/dev/null |
	      awk -F'\t' '!($1 in seen) { seen[$1] = 1; if (!($2 == 1 && $3 == 0)) bad++ }
			  END { print bad + 0 }')
	[ "$bad" -eq 0 ] || fail "$1: $bad TCP streams that do not open with a SYN"
}

# 1. Pcap port.
cat > "$tmp/file.cfg" <<CFG
run = { packets = 100000; duration = 100000.0; output_dir = "$tmp/out"; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 256;
        args = [ "--log-level=notice" ]; };
ports = ( { name = "f"; pcap = "reel.pcap"; sessions = 2000; reel = 20000; } );
CFG
"$TEMPOGEN" -c "$tmp/file.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
grep '^reel f/' "$tmp/run.log" || { cat "$tmp/run.log"; fail "no reel line"; }
pcap=$tmp/out/reel.pcap
[ "$(capinfos -c -M "$pcap" | sed -n 's/^Number of packets: *//p')" -eq 100000 ] || fail "$pcap: not 100000 packets"
assert_valid_pcap "$pcap"
assert_syn_first "$pcap"
# The clients of the first and the last 20,000 packets: the loop moved them.
clients() { tshark -r "$pcap" -Y "frame.number >= $1 && frame.number < $2 && ip.src == 10.1.0.0/16" -T fields -e ip.src 2>/dev/null | sort -u; }
clients 1 20000 > "$tmp/first"
clients 80000 100000 > "$tmp/last"
n_first=$(wc -l < "$tmp/first")
n_same=$(comm -12 "$tmp/first" "$tmp/last" | wc -l)
echo "pcap port: $n_first clients in the first 20,000 packets, $n_same of them again in the last 20,000"
[ "$n_first" -gt 10 ] || fail "only $n_first clients"
[ $((n_same * 2)) -lt "$n_first" ] || fail "the clients did not move"
# Payloads of 200 bytes or more, and how many of them come more than once.
repeats() {
	tshark -r "$1" -Y "tcp.len >= 200 || udp.length >= 208" -T fields \
		-e tcp.payload -e udp.payload 2>/dev/null |
	awk '{ n++; c[$0]++ } END { for (k in c) if (c[k] > 1) d += c[k]; print n + 0, d + 0 }'
}
read -r big again < <(repeats "$pcap")
echo "fresh ciphertext: $again of $big payloads of 200+ bytes come more than once"
[ "$big" -gt 10000 ] && [ $((again * 4)) -lt "$big" ] || fail "payloads repeat: $again of $big"
sed -i 's/reel = 20000;/reel = 20000; fresh_ciphertext = false;/' "$tmp/file.cfg"
"$TEMPOGEN" -c "$tmp/file.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
grep -q 'payloads as recorded' "$tmp/run.log" || { cat "$tmp/run.log"; fail "fresh_ciphertext = false not taken"; }
read -r big again < <(repeats "$pcap")
echo "as recorded: $again of $big payloads of 200+ bytes come more than once"
[ $((again * 10)) -gt $((big * 9)) ] || fail "recorded payloads should repeat: $again of $big"

# 2. Zero-copy, unlimited, on net_pcap (which writes what it is given).
cat > "$tmp/vdev.cfg" <<CFG
run = { packets = 100000; duration = 100000.0; output_dir = "$tmp/out"; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 512;
        args = [ "--log-level=notice" ]; };
ports = ( { name = "vp"; device = "net_pcap0,tx_pcap=$tmp/tx.pcap";
            rate = "unlimited"; sessions = 2000; reel = 20000; } );
CFG
"$TEMPOGEN" -c "$tmp/vdev.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
grep -Eq '^  reel vp/[0-9]+: [0-9]+ turns, 0 frames copied' "$tmp/run.log" || { cat "$tmp/run.log"; fail "frames were copied"; }
grep -Eq '^reel vp/.*, heads lent$' "$tmp/run.log" || { cat "$tmp/run.log"; fail "heads not lent without a tap"; }
# net_pcap lets go of each burst before the next: bodies go staged.
staged=$(sed -nE 's/^  reel vp\/[0-9]+: .*, ([0-9]+) bodies staged$/\1/p' "$tmp/run.log")
[ "${staged:-0}" -gt 10000 ] || { cat "$tmp/run.log"; fail "net_pcap: ${staged:-no} bodies staged"; }
sent=$(sed -n 's/^  vp *packets \([0-9]*\).*/\1/p' "$tmp/run.log")
written=$(capinfos -c -M "$tmp/tx.pcap" | sed -n 's/^Number of packets: *//p')
echo "net_pcap: sent $sent, in the pcap $written"
[ "$written" -eq "$sent" ] && [ "$sent" -eq 100000 ] || fail "sent $sent, written $written, expected 100000"
assert_valid_pcap "$tmp/tx.pcap"
assert_syn_first "$tmp/tx.pcap"

# 3. Unlimited on net_null.
cat > "$tmp/null.cfg" <<CFG
run = { duration = 2.0; output_dir = "$tmp/out"; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 512;
        args = [ "--log-level=notice" ]; };
ports = ( { name = "n"; device = "net_null0,no-rx=1"; rate = "unlimited";
            sessions = 20000; reel = 100000; } );
CFG
"$TEMPOGEN" -c "$tmp/null.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
grep '^reel n/' "$tmp/run.log"
grep -E '^  n +packets' "$tmp/run.log"
sent=$(sed -n 's/^  n *packets \([0-9]*\).*/\1/p' "$tmp/run.log")
[ "$sent" -gt 1000000 ] || fail "only $sent packets in 2 s"
grep -Eq '^  n +packets .* drops 0 ' "$tmp/run.log" || fail "drops on net_null"
# ... and at a packet rate target, which the reel meets by its pace.
sed -i 's/rate = "unlimited"/rate = "500 kpps"/' "$tmp/null.cfg"
"$TEMPOGEN" -c "$tmp/null.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
grep -E '^reel n/|rate target' "$tmp/run.log"
off=$(sed -nE 's/.*rate target 0\.500 Mpps +achieved [0-9.]+ \(([-+]?[0-9.]+)%\).*/\1/p' "$tmp/run.log")
[ -n "$off" ] && awk -v o="$off" 'BEGIN { exit !(o >= -1 && o <= 1) }' ||
	{ cat "$tmp/run.log"; fail "500 kpps not met within 1% ($off%)"; }
# 4. Capture tap; its writer on lcore 2, mapped onto core 0.
cat > "$tmp/cap.cfg" <<CFG
run = { duration = 3.0; output_dir = "$tmp/out"; };
lcores = { control = 0; workers = [ 1 ]; capture = 2; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 512;
        args = [ "--log-level=notice", "--lcores", "0@0,1@1,2@0" ]; };
ports = ( { name = "c"; device = "net_null0,no-rx=1"; rate = "30 kpps";
            sessions = 2000; reel = 20000; capture = "c.pcap"; } );
CFG
"$TEMPOGEN" -c "$tmp/cap.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
grep -E '^  reel c/|^capture written' "$tmp/run.log"
grep -Eq '^reel c/.*, in carriers$' "$tmp/run.log" || { cat "$tmp/run.log"; fail "a tapped port's frames not in carriers"; }
grep -Eq '^capture written: .* \([0-9]+ packets, 0 dropped\)$' "$tmp/run.log" || { cat "$tmp/run.log"; fail "capture dropped packets"; }
assert_valid_pcap "$tmp/out/c.pcap"
assert_syn_first "$tmp/out/c.pcap"

# 5. Copies.
rm -rf "$tmp/out"
sed -i -e 's/rate = "30 kpps"/rate = "unlimited"/' -e 's/reel = 20000/reel = 1024/' \
	-e 's/duration = 3.0;/duration = 3.0; packets = 300000;/' "$tmp/cap.cfg"
"$TEMPOGEN" -c "$tmp/cap.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
grep -E '^  reel c/|^capture written' "$tmp/run.log"
copies=$(sed -nE 's/^  reel c\/[0-9]+: [0-9]+ turns, ([0-9]+) frames copied.*/\1/p' "$tmp/run.log")
[ "$copies" -gt 0 ] || fail "no frame was copied"
n=$(count_matching "$tmp/out/c.pcap" 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || icmpv6.checksum.status == "Bad"')
[ "$n" -eq 0 ] || fail "$n captured packets with bad checksums"

# 6. Refused packets.
cat > "$tmp/ring.cfg" <<CFG
run = { duration = 1.0; output_dir = "$tmp/out"; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 512;
        args = [ "--log-level=notice" ]; };
ports = ( { name = "r"; device = "net_ring0"; rate = "unlimited";
            sessions = 2000; reel = 20000; } );
CFG
"$TEMPOGEN" -c "$tmp/ring.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
grep -E '^reel r/|^  r +packets|^  reel r/' "$tmp/run.log"
grep -Eq '^reel r/.*, heads lent$' "$tmp/run.log" || fail "heads not lent on net_ring"
sent=$(sed -nE 's/^  r +packets ([0-9]+) .*/\1/p' "$tmp/run.log")
copies=$(sed -nE 's/^  reel r\/[0-9]+: [0-9]+ turns, ([0-9]+) frames copied.*/\1/p' "$tmp/run.log")
turn=$(sed -nE 's/^reel r\/[0-9]+: ([0-9]+) packets.*/\1/p' "$tmp/run.log")
# The ring holds what it took; every packet played a turn after the first
# refusal and beyond went as a copy.
[ "$sent" -lt "$turn" ] && [ "$copies" -gt "$turn" ] ||
	fail "net_ring: $sent sent, $copies copied, a turn of $turn"
# Bytes are those of the packets sent, not of those refused.
bytes=$(sed -nE 's/^  r +packets [0-9]+ +bytes ([0-9]+) .*/\1/p' "$tmp/run.log")
[ "$bytes" -le $((sent * 1600)) ] || fail "net_ring: $bytes bytes for $sent packets"
echo "ok"
