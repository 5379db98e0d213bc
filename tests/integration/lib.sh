# Shared helpers of the integration tests (sourced). Each test gets
# TEMPOGEN (the binary) and TG_SOURCE_ROOT from meson.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A copy of a shipped config whose outputs go to $tmp.
config_into_tmp() {
	local src=$1 dst=$tmp/$(basename "$1")
	sed -E "s|^([[:space:]]*output_dir[[:space:]]*=).*|\1 \"$tmp/out\";|" "$src" > "$dst"
	grep -q "$tmp/out" "$dst" || fail "$src has no output_dir to redirect"
	echo "$dst"
}

# tshark with every checksum verified.
tshark_checked() {
	tshark -n -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE "$@" 2>/dev/null
}

# Count the packets of $1 matching display filter $2.
count_matching() {
	tshark_checked -r "$1" -Y "$2" -T fields -e frame.number | wc -l
}

# The validity checks of the foundation issue: zero bad checksums, zero
# malformed packets, zero TCP analysis problems.
assert_valid_pcap() {
	local pcap=$1 n
	local bad_checksum='ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || icmpv6.checksum.status == "Bad"'
	local malformed='_ws.malformed || _ws.expert.severity == "Error"'
	local tcp_problem='tcp.analysis.flags'

	# One read when the capture is valid; the kind of fault named if not.
	n=$(count_matching "$pcap" "($bad_checksum) || ($malformed) || ($tcp_problem)")
	[ "$n" -eq 0 ] && return 0
	n=$(count_matching "$pcap" "$bad_checksum")
	[ "$n" -eq 0 ] || fail "$pcap: $n packets with bad checksums"
	n=$(count_matching "$pcap" "$malformed")
	[ "$n" -eq 0 ] || fail "$pcap: $n malformed packets or errors"
	n=$(count_matching "$pcap" "$tcp_problem")
	fail "$pcap: $n packets with TCP analysis problems"
}

# Point the config $1 (a copy in $tmp) at model file $2.
config_set_model() {
	sed -i -E "s|^([[:space:]]*)#?[[:space:]]*model[[:space:]]*=.*|\1model = \"$2\";|" "$1"
	grep -q "model = \"$2\"" "$1" || fail "could not set the model in $1"
}

# Every TCP flow of $1 opens with SYN, SYN-ACK, ACK and ends with FIN or RST,
# or is a connection that never opened: a lone SYN (unanswered) or a SYN
# and the server's RST (refused). Flows are tshark's TCP streams.
assert_whole_tcp_flows() {
	tshark -r "$1" -Y tcp -T fields -e tcp.stream -e tcp.flags.syn \
		-e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset 2>/dev/null |
	awk -F'\t' '
		{ s = $1; n[s]++; syn = $2; ack = $3; fin = $4; rst = $5
		  if (n[s] == 1 && !(syn && !ack && !fin && !rst)) bad["no SYN first"]++
		  if (n[s] == 2 && rst && !syn) refused[s] = 1
		  else if (n[s] == 2 && !(syn && ack)) bad["no SYN-ACK second"]++
		  if (n[s] == 3 && (s in refused)) bad["a packet after the refusal"]++
		  else if (n[s] == 3 && !(!syn && ack && !rst)) bad["no ACK third"]++
		  if (fin || rst) closed[s] = 1 }
		END { for (s in n) if (!(s in closed) && n[s] > 1) bad["no FIN or RST"]++
		      for (b in bad) { print b ": " bad[b] " flows"; err = 1 }
		      exit err }' || fail "$1: TCP flows without handshake or close"
}

# Run program $1 with the arguments after $3: it must exit 2 with exactly
# one line on stderr matching pattern $3 ($2 names the case in failures).
expect_one_line_error() {
	local prog=$1 what=$2 pattern=$3; shift 3
	local rc=0
	"$prog" "$@" > "$tmp/out.txt" 2> "$tmp/err.txt" || rc=$?
	[ "$rc" -eq 2 ] || { cat "$tmp/err.txt"; fail "$what: exit status $rc, expected 2"; }
	[ "$(wc -l < "$tmp/err.txt")" -eq 1 ] || { cat "$tmp/err.txt"; fail "$what: not one line"; }
	grep -Eq -- "$pattern" "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "$what: message does not match '$pattern'"; }
}
