#!/usr/bin/env bash
# A fitted model played packet by packet (tests/data/fitted-small.tgm):
# enough traffic of every service, and tshark finds nothing wrong.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed"

model=$TG_SOURCE_ROOT/tests/data/fitted-small.tgm
cfg=$(config_into_tmp "$TG_SOURCE_ROOT/config/default.cfg")
config_set_model "$cfg" "$model"
# One session plays the small model at its own pace (enough traffic).
sed -i -E 's|^([[:space:]]*)sessions[[:space:]]*=.*|\1sessions = 1;|' "$cfg"
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

assert_whole_tcp_flows "$pcap"
echo "ok"
