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
tshark -r "$pcap" -Y tcp -T fields -e tcp.stream -e tcp.flags 2>/dev/null |
awk '
	{ n[$1]++; f = strtonum($2)
	  if (n[$1] == 1 && f != 0x002) bad["no SYN first"]++
	  if (n[$1] == 2 && f != 0x012) bad["no SYN-ACK second"]++
	  if (n[$1] == 3 && and(f, 0x017) != 0x010) bad["no ACK third"]++
	  if (and(f, 0x005)) closed[$1] = 1 }
	END { for (s in n) if (!(s in closed)) bad["no FIN or RST"]++
	      for (b in bad) { print b ": " bad[b] " flows"; err = 1 }
	      exit err }' || fail "TCP flows without handshake or close"
echo "ok"
