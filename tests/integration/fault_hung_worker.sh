#!/usr/bin/env bash
# A worker that stops responding (issue 7): its pcap output is a FIFO whose
# reader never reads, so the worker blocks in write(2) once the pipe is
# full. The control lcore must notice its heartbeat stand still, say so in
# one line, stop the run, print the summary naming the output incomplete,
# and exit 1, all in bounded time, rather than hang with it.
. "$(dirname "$0")/lib.sh"

cfg=$(config_into_tmp "$TG_SOURCE_ROOT/config/default.cfg")
mkdir -p "$tmp/out"
mkfifo "$tmp/out/demo.pcap"
# A reader that holds the FIFO open and reads nothing.
sleep 120 < "$tmp/out/demo.pcap" &
reader=$!
trap 'kill $reader 2>/dev/null; rm -rf "$tmp"' EXIT
rc=0
start=$(date +%s)
timeout 60 "$TEMPOGEN" -c "$cfg" -d 30 > "$tmp/run.log" 2> "$tmp/err.log" || rc=$?
took=$(( $(date +%s) - start ))
cat "$tmp/run.log" "$tmp/err.log"
[ "$rc" -ne 124 ] || fail "tempogen hung with its worker (killed by timeout)"
[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1"
[ "$took" -le 20 ] || fail "took $took s to give up on the worker"
n=$(grep -c 'worker lcore 1 is not responding' "$tmp/err.log")
[ "$n" -eq 1 ] || fail "$n 'not responding' lines, expected 1"
grep -q '^summary:' "$tmp/run.log" || fail "no summary"
grep -q "^pcap incomplete: .*demo.pcap (worker lcore 1 did not finish)" "$tmp/run.log" ||
	fail "the summary does not name the pcap incomplete"
echo "ok: reported and stopped in $took s"
