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
	n=$(count_matching "$pcap" 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || icmpv6.checksum.status == "Bad"')
	[ "$n" -eq 0 ] || fail "$pcap: $n packets with bad checksums"
	n=$(count_matching "$pcap" '_ws.malformed || _ws.expert.severity == "Error"')
	[ "$n" -eq 0 ] || fail "$pcap: $n malformed packets or errors"
	n=$(count_matching "$pcap" 'tcp.analysis.flags')
	[ "$n" -eq 0 ] || fail "$pcap: $n packets with TCP analysis problems"
}
