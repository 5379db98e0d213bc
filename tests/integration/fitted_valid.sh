#!/usr/bin/env bash
# A fitted model played packet by packet (tests/data/fitted-small.tgm):
# enough traffic of every service, and tshark finds nothing wrong.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed"

model=$TG_SOURCE_ROOT/tests/data/fitted-small.tgm
cfg=$(config_into_tmp "$TG_SOURCE_ROOT/config/default.cfg")
sed -i -E "s|^([[:space:]]*)#?[[:space:]]*model[[:space:]]*=.*|\1model = \"$model\";|" "$cfg"
grep -q "model = \"$model\"" "$cfg" || fail "could not set the model in $cfg"
"$TEMPOGEN" -c "$cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
pcap=$tmp/out/demo.pcap
tail -n 1 "$tmp/run.log" | grep -q "$pcap" || fail "last line does not name the pcap"

packets=$(tshark -r "$pcap" -T fields -e frame.number 2>/dev/null | wc -l)
tcp_flows=$(tshark -r "$pcap" -Y tcp -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
udp_flows=$(tshark -r "$pcap" -Y udp -T fields -e udp.stream 2>/dev/null | sort -u | wc -l)
pings=$(count_matching "$pcap" 'icmp.type == 8 || icmpv6.type == 128')
dns=$(count_matching "$pcap" 'dns.flags.response == 1')
http=$(count_matching "$pcap" 'http.response.code == 200')
echo "packets $packets, TCP flows $tcp_flows, UDP flows $udp_flows," \
	"echo requests $pings, DNS answers $dns, HTTP responses $http"
[ "$packets" -ge 10000 ] || fail "only $packets packets"
[ "$tcp_flows" -ge 200 ] || fail "only $tcp_flows TCP flows"
[ "$udp_flows" -ge 200 ] || fail "only $udp_flows UDP flows"
[ "$pings" -gt 0 ] && [ "$dns" -gt 0 ] && [ "$http" -gt 0 ] ||
	fail "a service is missing"

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
