#!/usr/bin/env bash
# Network effects (docs/config.md, "Network effects") on config/default.cfg
# for 3 s of model time:
#  1. loss only: tshark sees retransmissions, and exactly in the flows the
#     labels mark as lossy, as many per flow as the labels count (matched
#     by 5-tuple); some are fast retransmissions after duplicate ACKs,
#     again as many per flow as the labels count, with SACK blocks exactly
#     in the flows that negotiated SACK; nothing else looks wrong to
#     tshark's TCP analysis;
#  2. every effect with a 40 ms round trip: checksums all good, no
#     malformed HTTP, DNS or TLS, every flow with a TCP analysis flag is
#     labelled with an effect, SYN-ACKs come 40 to 42 ms after their SYNs,
#     and the same seed gives the same pcap.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

base=$(config_into_tmp "$TG_SOURCE_ROOT/config/default.cfg")
pcap=$tmp/out/demo.pcap
labels=$tmp/out/demo.labels.jsonl

# A copy of the config with labels and the effects group $1.
with_effects() {
	local cfg=$tmp/effects.cfg
	sed -E "s|^([[:space:]]*)pcap[[:space:]]*=.*|&\n\1labels = \"demo.labels.jsonl\";\n\1effects = { $1 };|" "$base" > "$cfg"
	grep -q "effects = { $1 }" "$cfg" || fail "could not add effects to $cfg"
	echo "$cfg"
}

run() {
	"$TEMPOGEN" -c "$1" -d 3 > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
}

# "ip port ip port" (the two ends in sorted order), once per packet of $1
# that display filter $2 matches, sorted.
flagged_flows() {
	tshark -n -r "$1" -Y "$2" -T fields -e ip.src -e ipv6.src -e tcp.srcport \
		-e ip.dst -e ipv6.dst -e tcp.dstport 2>/dev/null |
	awk -F'\t' '{ a = $1 $2 " " $3; b = $4 $5 " " $6
		      if (a < b) print a " " b; else print b " " a }' | sort
}

# The same from the labels: per TCP flow, one line per packet counted
# under effect $2, or one line if it met any effect ($2 = "any").
labelled_flows() {
	python3 - "$1" "$2" <<'PY' | sort
import json, sys
for line in open(sys.argv[1]):
    l = json.loads(line)
    if l["proto"] != "tcp":
        continue
    n = sum(e["packets"] for e in l["effects"]
            if "packets" in e and sys.argv[2] in (e["effect"], "any"))
    ends = sorted(["%s %d" % (l["client_ip"], l["client_port"]),
                   "%s %d" % (l["server_ip"], l["server_port"])])
    key = " ".join(ends)
    for _ in range(n if sys.argv[2] != "any" else min(n, 1)):
        print(key)
PY
}

# 1. Loss only. A retransmitted one-byte segment looks like a keep-alive.
# A server's fast retransmission reaches the capture point (next to the
# clients) a round trip after the client's last duplicate ACK: over 20 ms
# after it, and sooner than the handshake's round trip after the highest
# segment, Wireshark's heuristic calls it out of order (with loss alone,
# nothing else is).
run "$(with_effects "loss = 0.02;")"
retrans='tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.keep_alive || tcp.analysis.out_of_order'
flagged_flows "$pcap" "$retrans" > "$tmp/seen.txt"
labelled_flows "$labels" retransmitted > "$tmp/labelled.txt"
n_seen=$(wc -l < "$tmp/seen.txt")
n_flows=$(uniq "$tmp/seen.txt" | wc -l)
n_lost=$(labelled_flows "$labels" lost | wc -l)
echo "loss 0.02: tshark retransmissions $n_seen in $n_flows TCP flows;" \
     "labels: $(wc -l < "$tmp/labelled.txt") retransmitted, $n_lost TCP segments lost"
[ "$n_seen" -ge 10 ] || fail "only $n_seen retransmissions"
diff <(uniq "$tmp/seen.txt") <(uniq "$tmp/labelled.txt") ||
	fail "the flows with retransmissions are not the flows labelled lossy"
cmp -s "$tmp/seen.txt" "$tmp/labelled.txt" ||
	fail "retransmissions per flow differ from the labels"
flagged_flows "$pcap" tcp.analysis.fast_retransmission | uniq > "$tmp/seen.txt"
labelled_flows "$labels" fast_retransmitted | uniq > "$tmp/labelled.txt"
n_fast=$(wc -l < "$tmp/seen.txt")
[ "$n_fast" -ge 1 ] || fail "no fast retransmission"
comm -23 "$tmp/seen.txt" "$tmp/labelled.txt" | grep -q . &&
	fail "fast retransmissions in flows not labelled fast_retransmitted"
flagged_flows "$pcap" tcp.analysis.duplicate_ack > "$tmp/seen.txt"
labelled_flows "$labels" dup_acks > "$tmp/labelled.txt"
n_dup=$(wc -l < "$tmp/seen.txt")
echo "loss 0.02: tshark fast retransmissions in $n_fast flows, $n_dup duplicate ACKs"
[ "$n_dup" -ge 3 ] || fail "only $n_dup duplicate ACKs"
cmp -s "$tmp/seen.txt" "$tmp/labelled.txt" ||
	fail "duplicate ACKs per flow differ from the labels"
# SACK blocks in every duplicate ACK of a flow that negotiated SACK (the
# SYN-ACK permits it only then), in none of the others.
tshark -n -r "$pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.option_kind == 4' \
	-T fields -e tcp.stream 2>/dev/null | sort -u > "$tmp/sack_streams.txt"
tshark -n -r "$pcap" -Y tcp.analysis.duplicate_ack -T fields -e tcp.stream \
	-e tcp.options.sack_le 2>/dev/null |
	awk -F'\t' 'NR == FNR { sack[$1] = 1; next }
		     { if (($1 in sack) != ($2 != "")) bad++; if ($2 != "") with++ }
		     END { print with + 0; exit bad > 0 }' "$tmp/sack_streams.txt" - \
	> "$tmp/with_sack.txt" ||
	fail "duplicate ACKs with SACK blocks do not match the flows that negotiated SACK"
[ "$(cat "$tmp/with_sack.txt")" -ge 1 ] || fail "no duplicate ACK carries a SACK block"
n=$(count_matching "$pcap" "tcp.analysis.flags && !($retrans || tcp.analysis.duplicate_ack)")
[ "$n" -eq 0 ] || fail "loss run: $n packets with other TCP analysis flags"
n=$(count_matching "$pcap" 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad"')
[ "$n" -eq 0 ] || fail "loss run: $n packets with bad checksums"

# 2. Everything at once.
cfg=$(with_effects "rtt_ms = 40.0; jitter_ms = 2.0; loss = 0.01; reorder = 0.05; duplicate = 0.01;")
run "$cfg"
sum=$(sha256sum < "$pcap")
n=$(count_matching "$pcap" 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || icmpv6.checksum.status == "Bad"')
[ "$n" -eq 0 ] || fail "all effects: $n packets with bad checksums"
n=$(count_matching "$pcap" '(http || dns || tls) && _ws.malformed')
[ "$n" -eq 0 ] || fail "all effects: $n malformed HTTP, DNS or TLS packets"
flagged_flows "$pcap" tcp.analysis.flags | uniq > "$tmp/seen.txt"
labelled_flows "$labels" any > "$tmp/labelled.txt"
unlabelled=$(comm -23 "$tmp/seen.txt" "$tmp/labelled.txt" | wc -l)
[ "$unlabelled" -eq 0 ] || fail "$unlabelled flows with TCP analysis flags have no effect in their labels"
for e in lost retransmitted fast_retransmitted dup_acks reordered duplicated; do
	grep -q "\"effect\":\"$e\"" "$labels" || fail "all effects: no flow labelled $e"
done
grep -q '"effect":"rtt","rtt_ns":40000000,"jitter_ns":2000000' "$labels" || fail "no rtt in the labels"
tshark -n -r "$pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 1' -T fields \
	-e tcp.time_delta 2>/dev/null |
	awk '$1 < 0.040 || $1 > 0.042 { bad++ } END { exit bad > 0 }' ||
	fail "SYN-ACKs not 40 to 42 ms after their SYNs"
echo "all effects: $(wc -l < "$tmp/seen.txt") TCP flows with analysis flags, all labelled"
run "$cfg"
[ "$(sha256sum < "$pcap")" = "$sum" ] || fail "same seed, other pcap with effects on"
echo "effects: ok"
