#!/usr/bin/env bash
# tempogen-eval from the command line: bad input gets one line and exit 2;
# a capture against itself gives distances of exactly 0; --json parses;
# --plot writes the SVGs and index.html, and where it cannot, one line names
# the path and says why (exit 1); two features agree with an
# independent computation over tshark's fields (tests/integration/eval_ref.py).
. "$(dirname "$0")/lib.sh"
EVAL=${TEMPOGEN_EVAL:?}
REF="$(dirname "$0")/eval_ref.py"

expect_error() { expect_one_line_error "$EVAL" "$@"; }

expect_error "no arguments" "no '--'"
expect_error "no synthetic side" "no synthetic capture" "$tmp" --
expect_error "bad option" "see --help" --bogus a -- b
expect_error "missing capture" "$tmp/nothing-here" "$tmp/nothing-here" -- "$tmp/nothing-here"
printf 'this is not a capture\n' > "$tmp/junk.pcap"
expect_error "not a capture" "junk.pcap" "$tmp/junk.pcap" -- "$tmp/junk.pcap"
"$EVAL" --help | grep -q "usage:" || fail "--help prints no usage"

data="$TG_SOURCE_ROOT/../shared/data/train"
[ -d "$data" ] || skip "$data is absent: real captures are not evaluated"
one="$data/443-firefox.pcap"
other="$data/443-curl.pcap"
[ -f "$one" ] && [ -f "$other" ] || skip "$one or $other is absent"

# --plot where the directory cannot be: under a regular file (root may
# write anywhere, a file is in the way even for root), and onto one.
# One line naming the path and why, exit status 1, the table unprinted.
expect_plot_error() {
	local what=$1 pattern=$2 dir=$3 rc=0
	"$EVAL" --plot "$dir" "$one" -- "$one" > "$tmp/out.txt" 2> "$tmp/err.txt" || rc=$?
	[ "$rc" -eq 1 ] || { cat "$tmp/err.txt"; fail "$what: exit status $rc, expected 1"; }
	[ "$(wc -l < "$tmp/err.txt")" -eq 1 ] || { cat "$tmp/err.txt"; fail "$what: not one line"; }
	grep -Eq -- "$pattern" "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "$what: message does not match '$pattern'"; }
	[ ! -s "$tmp/out.txt" ] || fail "$what: the table was printed"
}
: > "$tmp/a-file"
expect_plot_error "--plot under a file" \
	"tempogen-eval: $tmp/a-file/plots: cannot create the plot directory: Not a directory\$" "$tmp/a-file/plots"
expect_plot_error "--plot onto a file" \
	"tempogen-eval: $tmp/a-file: cannot create the plot directory: Not a directory\$" "$tmp/a-file"
expect_plot_error "--plot under nothing" \
	"tempogen-eval: $tmp/none/plots: cannot create the plot directory: No such file or directory\$" "$tmp/none/plots"
mkdir -p "$tmp/taken"
mkdir "$tmp/taken/pkt_size.svg"
expect_plot_error "--plot over a directory" \
	"tempogen-eval: $tmp/taken/pkt_size\.svg: Is a directory\$" "$tmp/taken"

# A capture against itself: every defined distance is exactly 0.
"$EVAL" --json "$one" -- "$one" > "$tmp/self.json" || fail "self comparison failed"
python3 -m json.tool "$tmp/self.json" > /dev/null || fail "--json does not parse"
python3 - "$tmp/self.json" <<'PY' || fail "a capture against itself is not at distance 0"
import json, sys
t = json.load(open(sys.argv[1]))
bad = [d for d in t["distances"] if d["value"] not in (0, None)]
defined = [d for d in t["distances"] if d["value"] is not None]
assert len(defined) >= 15, "too few defined distances"
assert not bad, bad
PY

# The whole folder against itself, and its two halves against each other.
"$EVAL" --json "$data" -- "$data" > "$tmp/folder.json" || fail "folder self comparison failed"
python3 - "$tmp/folder.json" <<'PY' || fail "the folder against itself is not at distance 0"
import json, sys
t = json.load(open(sys.argv[1]))
assert all(d["value"] == 0 for d in t["distances"]), t["distances"]
assert t["real"]["packets"] > 50000
PY
mkdir -p "$tmp/a" "$tmp/b"
n=0
for f in "$data"/*; do
	n=$((n + 1))
	if [ $((n % 2)) -eq 0 ]; then ln -s "$f" "$tmp/a/"; else ln -s "$f" "$tmp/b/"; fi
done
"$EVAL" --plot "$tmp/plot" "$tmp/a" -- "$tmp/b" > "$tmp/halves.txt" || fail "halves comparison failed"
grep -q "^packet size .* jsd " "$tmp/halves.txt" || fail "no packet size row in the table"
grep -q "^tcp seq continuity " "$tmp/halves.txt" || fail "no compliance table"
for f in pkt_size.svg flow_bytes.svg iat_in_flow.svg iat_flow_start.svg ports.svg index.html; do
	[ -s "$tmp/plot/$f" ] || fail "--plot wrote no $f"
done
python3 - "$tmp/plot" <<'PY' || fail "a plot is not well-formed XML"
import sys, xml.etree.ElementTree as ET
for f in ["pkt_size", "flow_bytes", "iat_in_flow", "iat_flow_start", "ports"]:
    ET.parse(f"{sys.argv[1]}/{f}.svg")
PY
grep -q 'pkt_size.svg' "$tmp/plot/index.html" || fail "index.html does not show the plots"

# Cross-check with an independent computation from tshark's fields.
command -v tshark > /dev/null || skip "no tshark: the cross-check is not run"
for f in "$one" "$other"; do
	tshark -r "$f" -Y "ip or ipv6" -T fields -e frame.len -e ip.ttl \
		-e ipv6.hlim 2>/dev/null > "$tmp/$(basename "$f").txt"
done
python3 "$REF" "$tmp/$(basename "$one").txt" "$tmp/$(basename "$other").txt" > "$tmp/ref.txt"
"$EVAL" --json "$one" -- "$other" > "$tmp/pair.json" || fail "pair comparison failed"
python3 - "$tmp/pair.json" "$tmp/ref.txt" <<'PY' || fail "tempogen-eval and the reference disagree"
import json, sys
t = {d["key"]: d["value"] for d in json.load(open(sys.argv[1]))["distances"]}
for line in open(sys.argv[2]):
    key, ref = line.split()
    got = t[key]
    print(f"{key}: tempogen-eval {got!r} reference {ref}")
    assert got > 0 and abs(got - float(ref)) <= 1e-6, key
PY
echo "ok"
