#!/usr/bin/env bash
# The built-in default model (config/default.cfg): tshark recognises the
# protocol each service's payload synthesizer writes, in at least 95% of
# the flows of that service that carry payload, and finds none of those
# packets malformed. A flow's service is its server port: TCP 443 tls
# (a handshake message), 22 ssh, 53 dns, 80 http; UDP 123 ntp, 53 dns,
# 443 quic. (Random payloads of other services may still trip a
# dissector elsewhere, e.g. DNS on TCP 5353; fitted_valid.sh bounds those.)
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed"

cfg=$(config_into_tmp "$TG_SOURCE_ROOT/config/default.cfg")
"$TEMPOGEN" -c "$cfg" -d 30 > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
pcap=$tmp/out/demo.pcap

# Per flow: its service, whether it carried payload, whether tshark
# recognised the protocol. Prints "service recognised flows".
tshark -n -r "$pcap" -T fields -E separator=, -e frame.protocols \
	-e tcp.stream -e udp.stream -e tcp.srcport -e tcp.dstport \
	-e udp.srcport -e udp.dstport -e tcp.len -e tls.handshake.type \
	2>/dev/null |
awk -F, '
function service(tcp, a, b) {
	if (tcp) return b == 443 ? "tls" : b == 22 ? "ssh" : b == 53 ? "dns" : b == 80 ? "http" : ""
	if (a == 123 || b == 123) return "ntp"
	if (a == 53 || b == 53) return "dns"
	return a == 443 || b == 443 ? "quic" : ""
}
{
	# TCP: the first packet is the SYN, its destination the server port.
	if ($2 != "") { k = "t" $2; if (!(k in s)) s[k] = service(1, $4, $5); data = $8 > 0 }
	else if ($3 != "") { k = "u" $3; if (!(k in s)) s[k] = service(0, $6, $7); data = 1 }
	else next
	if (s[k] == "") next
	if (data) has[k] = 1
	if (s[k] == "tls" ? $9 != "" : index($1 ":", ":" s[k] ":") > 0) ok[k] = 1
}
END {
	for (k in has) { n[s[k]]++; if (k in ok) r[s[k]]++ }
	for (v in n) printf "%s %d %d\n", v, r[v] + 0, n[v]
}' | sort > "$tmp/recognised"

for proto in tls ssh ntp dns quic http; do
	read -r _ ok flows < <(grep "^$proto " "$tmp/recognised" || echo "$proto 0 0")
	echo "$proto: $ok of $flows flows recognised"
	[ "$flows" -gt 0 ] || { [ "$proto" = ssh ] || [ "$proto" = ntp ]; } ||
		fail "no $proto flows"
	[ $((ok * 100)) -ge $((flows * 95)) ] || fail "$proto: only $ok of $flows flows recognised"
done

n=$(count_matching "$pcap" '(_ws.malformed || _ws.expert.severity == "Error") && (tcp.port == 22 || tcp.port == 53 || tcp.port == 80 || tcp.port == 443 || udp.port == 53 || udp.port == 123 || udp.port == 443)')
[ "$n" -eq 0 ] || fail "$n malformed packets of synthesized protocols"
echo "ok"
