#!/usr/bin/env bash
# Output into a full disk: a file size limit (ulimit -f, which every user
# may set; tempogen ignores SIGXFSZ so write() fails with EFBIG), and a
# small tmpfs (ENOSPC) where this user may mount one. tempogen prints one
# error line naming the pcap, exits 1, and the pcap on disk is valid: whole
# records only, read by capinfos and tshark without complaint. The labels
# file likewise keeps whole lines only, every one JSON, as many as the
# summary says (a net_null port with labels alone fills it). tempogen-fit
# -o and tempogen-eval --json/--plot likewise print one line naming what
# they could not write and exit 1; tempogen-fit leaves no model behind.
. "$(dirname "$0")/lib.sh"
command -v capinfos >/dev/null || skip "capinfos (tshark) is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
FIT=${TEMPOGEN_FIT:?}
EVAL=${TEMPOGEN_EVAL:?}

# The run's log stays under any limit below; the pcap does not.
cfg=$(config_into_tmp "$TG_SOURCE_ROOT/config/default.cfg")
sed -i -E 's|^([[:space:]]*)pcap[[:space:]]*=.*|&\n\1labels = "demo.labels.jsonl";|' "$cfg"
grep -q 'labels = "demo.labels.jsonl"' "$cfg" || fail "could not add labels to $cfg"

# Run "$@" with a file size limit of $1 KiB; stdout and stderr go to
# $tmp/out.txt and $tmp/err.txt; sets rc.
limited() {
	local kib=$1; shift
	rc=0
	(ulimit -f "$kib"; exec "$@") > "$tmp/out.txt" 2> "$tmp/err.txt" || rc=$?
}

# Exactly one line of ours on stderr (EAL may add its own: with a size limit
# it cannot size its memfd and says so), matching $2; exit status 1.
expect_one_error() {
	local what=$1 pattern=$2 prefix=$3 n
	[ "$rc" -eq 1 ] || { cat "$tmp/err.txt"; fail "$what: exit status $rc, expected 1"; }
	n=$(grep -c "^$prefix" "$tmp/err.txt" || true)
	[ "$n" -eq 1 ] || { cat "$tmp/err.txt"; fail "$what: $n error lines, expected 1"; }
	grep "^$prefix" "$tmp/err.txt" | grep -Eq -- "$pattern" ||
		{ cat "$tmp/err.txt"; fail "$what: the error does not match '$pattern'"; }
}

# $1 is a whole capture: capinfos reads every record without a word, and
# tshark neither says it was cut short nor finds a malformed packet.
expect_whole_pcap() {
	local what=$1 pcap=$2 packets
	packets=$(capinfos -c -M "$pcap" 2> "$tmp/capinfos.err" | sed -n 's/^Number of packets: *//p') ||
		{ cat "$tmp/capinfos.err"; fail "$what: capinfos cannot read $pcap"; }
	[ ! -s "$tmp/capinfos.err" ] || { cat "$tmp/capinfos.err"; fail "$what: capinfos complains"; }
	[ "${packets:-0}" -gt 0 ] || fail "$what: no packets kept"
	tshark -n -r "$pcap" > /dev/null 2> "$tmp/tshark.err" || { cat "$tmp/tshark.err"; fail "$what: tshark cannot read $pcap"; }
	! grep -Eiq "cut short|appears to be damaged|corrupt" "$tmp/tshark.err" ||
		{ cat "$tmp/tshark.err"; fail "$what: tshark finds $pcap torn"; }
	echo "$what: $packets whole packets kept, $(stat -c %s "$pcap") bytes"
	# The summary counts what reached the disk, not what was generated.
	grep -q "^pcap written: .*($packets packets)" "$tmp/out.txt" ||
		{ grep "^pcap written" "$tmp/out.txt"; fail "$what: the summary's count differs from the file's $packets"; }
}

# $2 holds whole labels only (none, on a disk the pcap filled): it ends
# with a newline, every line is JSON, and the summary counts its lines
# (what reached the disk, not what was generated).
expect_whole_labels() {
	local what=$1 labels=$2 lines reported
	[ -f "$labels" ] || fail "$what: no $labels"
	[ ! -s "$labels" ] || [ "$(tail -c 1 "$labels" | od -An -tx1 | tr -d ' ')" = 0a ] ||
		{ tail -c 200 "$labels"; echo; fail "$what: $labels ends in half a line"; }
	python3 - "$labels" <<'PY' || fail "$what: $labels holds a line that is not JSON"
import json, sys
with open(sys.argv[1]) as f:
    for number, line in enumerate(f, 1):
        try:
            json.loads(line)
        except ValueError as e:
            sys.exit(f"{sys.argv[1]}:{number}: {e}")
PY
	lines=$(wc -l < "$labels")
	reported=$(sed -n "s|^labels written: $labels (\([0-9]*\) flows)\$|\1|p" "$tmp/out.txt")
	[ "$reported" = "$lines" ] ||
		{ grep "^labels written" "$tmp/out.txt"; fail "$what: the summary says '${reported}' labels, $labels holds $lines"; }
	echo "$what: $lines whole labels kept, $(stat -c %s "$labels") bytes"
}

# 1. tempogen into a 1 MiB file size limit (the 10 s demo writes ~15 MB).
pcap=$tmp/out/demo.pcap
limited 1024 "$TEMPOGEN" -c "$cfg"
grep -q "File size limit exceeded" "$tmp/err.txt" && fail "tempogen: killed by SIGXFSZ"
expect_one_error "tempogen, ulimit -f" "demo\.pcap.*File too large" "tempogen: "
expect_whole_pcap "tempogen, ulimit -f" "$pcap"
expect_whole_labels "tempogen, ulimit -f" "$tmp/out/demo.labels.jsonl"
[ "$(stat -c %s "$pcap")" -le $((1024 * 1024)) ] || fail "tempogen: the pcap is over the limit"
grep -q "^summary:" "$tmp/out.txt" || fail "tempogen: no summary after the error"

# 1b. Labels alone into a 64 KiB limit: a net_null port writes no pcap,
# so its labels file (a few hundred bytes a flow) is what fills.
cat > "$tmp/null.cfg" <<CFG
run = { duration = 3.0; output_dir = "$tmp/out"; };
lcores = { control = 0; workers = [ 1 ]; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 256;
        args = [ "--log-level=notice" ]; };
ports = ( { name = "null0"; device = "net_null0,no-rx=1";
            labels = "null.labels.jsonl"; sessions = 50000; } );
CFG
labels=$tmp/out/null.labels.jsonl
limited 64 "$TEMPOGEN" -c "$tmp/null.cfg"
grep -q "File size limit exceeded" "$tmp/err.txt" && fail "tempogen labels: killed by SIGXFSZ"
expect_one_error "tempogen labels, ulimit -f" "null\.labels\.jsonl: File too large" "tempogen: "
expect_whole_labels "tempogen labels, ulimit -f" "$labels"
[ -s "$labels" ] || fail "tempogen labels: no labels kept"
[ "$(stat -c %s "$labels")" -le $((64 * 1024)) ] || fail "tempogen: the labels are over the limit"

# 2. tempogen into a full 512 KiB tmpfs, where mounting is allowed (root
# with CAP_SYS_ADMIN); elsewhere this case is skipped with a message.
mnt=$tmp/mnt
mkdir -p "$mnt"
if mount -t tmpfs -o size=512k tempogen-fault "$mnt" 2>/dev/null; then
	trap 'umount "$mnt" 2>/dev/null || true; rm -rf "$tmp"' EXIT
	sed -E "s|^([[:space:]]*output_dir[[:space:]]*=).*|\1 \"$mnt\";|" "$cfg" > "$tmp/tmpfs.cfg"
	limited unlimited "$TEMPOGEN" -c "$tmp/tmpfs.cfg"
	expect_one_error "tempogen, full tmpfs" "demo\.pcap.*No space left" "tempogen: "
	expect_whole_pcap "tempogen, full tmpfs" "$mnt/demo.pcap"
	expect_whole_labels "tempogen, full tmpfs" "$mnt/demo.labels.jsonl"
	umount "$mnt"
else
	echo "tempogen, full tmpfs: skipped (cannot mount a tmpfs as $(id -un))"
fi

# 3. tempogen-fit -o: one line naming the file, no model left behind.
caps=()
for f in ssh.pcap sip.pcap firefox.pcap; do
	[ -f "$TG_SOURCE_ROOT/../shared/data/train/$f" ] && caps+=("$TG_SOURCE_ROOT/../shared/data/train/$f")
done
((${#caps[@]} > 0)) || caps=("$pcap")	# the capture just written
limited 4 "$FIT" -q "${caps[@]}" -o "$tmp/m.tgm"
expect_one_error "tempogen-fit -o" "m\.tgm.*File too large" "[^ ]*tempogen-fit: "
[ ! -e "$tmp/m.tgm" ] && [ ! -e "$tmp/m.tgm.tmp" ] || fail "tempogen-fit: a partial model was left behind"
echo "tempogen-fit -o: one error, no model left"

# 4. tempogen-eval --json into a 1 KiB limit, and --plot.
limited 1 "$EVAL" --json "${caps[@]}" -- "$pcap"
expect_one_error "tempogen-eval --json" "standard output: File too large" "[^ ]*tempogen-eval: "
limited 4 "$EVAL" --plot "$tmp/plots" "${caps[@]}" -- "$pcap"
expect_one_error "tempogen-eval --plot" "$tmp/plots/[a-z_]+\.svg: File too large\$" "[^ ]*tempogen-eval: "
echo "tempogen-eval --json, --plot: one error each"
echo "ok"
