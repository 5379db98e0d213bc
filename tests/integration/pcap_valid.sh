#!/usr/bin/env bash
# The shipped default run: enough traffic, and tshark finds nothing wrong.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed"

cfg=$(config_into_tmp "$TG_SOURCE_ROOT/config/default.cfg")
"$TEMPOGEN" -c "$cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
pcap=$tmp/out/demo.pcap
tail -n 1 "$tmp/run.log" | grep -q "$pcap" || fail "last line does not name the pcap"

packets=$(tshark -r "$pcap" -T fields -e frame.number 2>/dev/null | wc -l)
tcp_flows=$(tshark -r "$pcap" -Y tcp -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
udp_flows=$(tshark -r "$pcap" -Y udp -T fields -e udp.stream 2>/dev/null | sort -u | wc -l)
echo "packets $packets, TCP flows $tcp_flows, UDP flows $udp_flows"
[ "$packets" -ge 10000 ] || fail "only $packets packets"
[ $((tcp_flows + udp_flows)) -ge 500 ] || fail "only $((tcp_flows + udp_flows)) flows"
[ "$tcp_flows" -gt 0 ] && [ "$udp_flows" -gt 0 ] || fail "need both TCP and UDP flows"

assert_valid_pcap "$pcap"

# Every TCP flow opens with SYN, SYN-ACK, ACK and ends with FIN or RST.
tshark -r "$pcap" -Y tcp -T fields -e tcp.stream -e tcp.flags.syn \
	-e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset 2>/dev/null |
awk '
	{ s = $1; n[s]++; syn = $2; ack = $3; fin = $4; rst = $5
	  if (n[s] == 1 && !(syn && !ack && !fin && !rst)) bad["no SYN first"]++
	  if (n[s] == 2 && !(syn && ack)) bad["no SYN-ACK second"]++
	  if (n[s] == 3 && !(!syn && ack && !rst)) bad["no ACK third"]++
	  if (fin || rst) closed[s] = 1 }
	END { for (s in n) if (!(s in closed)) bad["no FIN or RST"]++
	      for (b in bad) { print b ": " bad[b] " flows"; err = 1 }
	      exit err }' || fail "TCP flows without handshake or close"
echo "ok"
