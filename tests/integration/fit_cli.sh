#!/usr/bin/env bash
# tempogen-fit from the command line: bad input gets one line and exit 2;
# the training captures give a model that validates, round-trips byte for
# byte, and is the same for the same input.
. "$(dirname "$0")/lib.sh"
FIT=${TEMPOGEN_FIT:?}

expect_error() { expect_one_line_error "$FIT" "$@"; }

expect_error "no arguments" "no capture given"
expect_error "no output" "no output given" "$tmp"
expect_error "bad order" "--order: '9'" --order 9 "$tmp" -o "$tmp/m.tgm"
expect_error "bad components" "--components: 'x'" -k x "$tmp" -o "$tmp/m.tgm"
expect_error "missing capture" "$tmp/nothing-here" "$tmp/nothing-here" -o "$tmp/m.tgm"
printf 'this is not a capture\n' > "$tmp/junk.pcap"
expect_error "not a capture" "junk.pcap" --strict "$tmp/junk.pcap" -o "$tmp/m.tgm"
[ ! -e "$tmp/m.tgm" ] || fail "a failed fit left a model file"
printf 'format = "tempogen-model";\nversion = 2;\nkind = "fitted";\nname = "x";\nservices = (\n' > "$tmp/torn.tgm"
expect_error "torn model" "torn.tgm:[0-9]+: " --check "$tmp/torn.tgm"
"$FIT" --help | grep -q "usage:" || fail "--help prints no usage"

data="$TG_SOURCE_ROOT/../shared/data/train"
[ -d "$data" ] || skip "$data is absent: the fit of real captures is not checked"

export SOURCE_DATE_EPOCH=1700000000
"$FIT" -q -n train "$data" -o "$tmp/a.tgm" > "$tmp/summary.txt" ||
	fail "fitting $data failed"
grep -q "^packets by reason:" "$tmp/summary.txt" || fail "no skip reasons in the summary"
grep -q "^flows used: " "$tmp/summary.txt" || fail "no flow counts in the summary"
"$FIT" --check "$tmp/a.tgm" > "$tmp/check.txt" || fail "the fitted model does not validate"
grep -q "saving it gives the same bytes" "$tmp/check.txt" ||
	{ cat "$tmp/check.txt"; fail "the fitted model does not round-trip"; }
"$FIT" -q -n train "$data" -o "$tmp/b.tgm" > /dev/null || fail "second fit failed"
cmp -s "$tmp/a.tgm" "$tmp/b.tgm" || fail "two fits of the same input differ"
for svc in tls dns http quic; do
	grep -Eq "^  $svc = \{" "$tmp/a.tgm" || fail "no $svc service in the fitted model"
done

# A hand edit that breaks a probability is caught with its line.
awk '/share = / && !done { sub(/share = [0-9.e+-]+/, "share = 1.5"); done = 1 } { print }' \
	"$tmp/a.tgm" > "$tmp/bad.tgm"
line=$(grep -n "share = 1.5" "$tmp/bad.tgm" | head -1 | cut -d: -f1)
[ -n "$line" ] || fail "test could not edit the model"
expect_error "share out of range" "bad.tgm:$line: " --check "$tmp/bad.tgm"
echo "ok"
