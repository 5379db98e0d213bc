#!/usr/bin/env bash
# Ground truth: config/default.cfg with a labels file, for a few seconds
# of model time and again stopped by SIGINT after 2 s. Every line parses,
# and the labels list exactly the flows of the pcap: the same 5-tuples as
# tshark's conversations, and per flow and direction the packets, frame
# bytes and first and last times of the pcap (labels_check.py).
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
check=$(dirname "$0")/labels_check.py

cfg=$(config_into_tmp "$TG_SOURCE_ROOT/config/default.cfg")
sed -i -E 's|^([[:space:]]*)pcap[[:space:]]*=.*|&\n\1labels = "demo.labels.jsonl";|' "$cfg"
grep -q 'labels = "demo.labels.jsonl"' "$cfg" || fail "could not add labels to $cfg"
labels=$tmp/out/demo.labels.jsonl

# 1. A drained run: no flow is left "stopped".
"$TEMPOGEN" -c "$cfg" -d 3 > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
grep -q "^labels written: $labels" "$tmp/run.log" || fail "the summary does not name the labels"
python3 "$check" "$tmp/out/demo.pcap" "$labels" || fail "drained run: labels and pcap disagree"
! grep -q '"end":"stopped"' "$labels" || fail "drained run: flows left stopped"
grep -q '"end":"drained"' "$labels" || fail "drained run: no flow closed by the drain"
reported=$(sed -n 's/^labels written: .* (\([0-9]*\) flows)$/\1/p' "$tmp/run.log")
[ "$reported" -eq "$(wc -l < "$labels")" ] || fail "summary says $reported labels"

# 2. SIGINT after 2 s: complete lines, still the pcap's flows.
rm -rf "$tmp/out"
"$TEMPOGEN" -c "$cfg" -d 1000000 > "$tmp/run.log" 2>&1 &
pid=$!
sleep 2
kill -s INT "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/run.log"; fail "SIGINT: exit status $rc"; }
python3 "$check" "$tmp/out/demo.pcap" "$labels" || fail "SIGINT: labels and pcap disagree"
echo "ok"
