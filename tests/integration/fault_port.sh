#!/usr/bin/env bash
# A port that cannot start, next to a good pcap port: a net_pcap vdev whose
# rx_pcap does not exist, a net_null vdev with an argument its driver does
# not know, a net_pcap port given more workers (TX queues) than it has, and
# a pcap port whose file cannot be created. Each time: exit status 1 (no
# crash), exactly one line of ours naming the port, and whatever the good
# port wrote is flushed and whole (a valid pcap, labels of whole lines).
. "$(dirname "$0")/lib.sh"
command -v capinfos >/dev/null || skip "capinfos (tshark) is not installed"

# A good pcap port with labels on worker 1, and the bad port $1 (the rest
# of its group) on workers $2.
write_config() {
	cat > "$tmp/port.cfg" <<CFG
run = { duration = 2.0; output_dir = "$tmp/out"; };
lcores = { control = 0; workers = [ $2 ]; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 256;
        args = [ "--log-level=notice" ]; };
ports = ( { name = "good"; pcap = "good.pcap"; labels = "good.jsonl";
            workers = [ 1 ]; sessions = 1000; },
          { name = "bad"; $1 workers = [ $2 ];
            clients = { ipv4 = "10.2.0.0/16"; ipv6 = "fd00:3::/64"; };
            servers = { ipv4 = "198.19.0.0/20"; ipv6 = "fd00:4::/64"; }; } );
CFG
}

# $1 names the case, $2 is what our one line must say; the rest are
# tempogen's arguments before "-c".
expect_port_failure() {
	local what=$1 pattern=$2 rc=0 n; shift 2
	rm -rf "$tmp/out"
	"$TEMPOGEN" "$@" -c "$tmp/port.cfg" > "$tmp/out.txt" 2> "$tmp/err.txt" || rc=$?
	[ "$rc" -eq 1 ] || { cat "$tmp/err.txt"; fail "$what: exit status $rc, expected 1"; }
	n=$(grep -c "^tempogen: " "$tmp/err.txt" || true)
	[ "$n" -eq 1 ] || { cat "$tmp/err.txt"; fail "$what: $n error lines of ours, expected 1"; }
	grep "^tempogen: " "$tmp/err.txt" | grep -Eq -- "port bad: .*$pattern" ||
		{ cat "$tmp/err.txt"; fail "$what: the error does not name port bad and '$pattern'"; }
	# The good port: nothing, or a whole pcap and whole label lines.
	if [ -e "$tmp/out/good.pcap" ]; then
		capinfos -c "$tmp/out/good.pcap" > /dev/null 2> "$tmp/capinfos.err" ||
			{ cat "$tmp/capinfos.err"; fail "$what: good.pcap is not whole"; }
	fi
	if [ -s "$tmp/out/good.jsonl" ]; then
		python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' \
			"$tmp/out/good.jsonl" || fail "$what: good.jsonl is not whole JSON lines"
	fi
	echo "$what: one line naming port bad, exit 1, the good port's outputs whole"
}

write_config "device = \"net_pcap0,rx_pcap=$tmp/none.pcap,tx_pcap=$tmp/tx.pcap\";" 1
expect_port_failure "net_pcap without its rx_pcap" "net_pcap0 could not be created"

write_config 'device = "net_null0,colour=red";' 1
expect_port_failure "net_null with a bad argument" "net_null0 could not be created"

# Two workers on a net_pcap port of one TX queue. This machine may have
# fewer CPUs than lcores: map lcores 0-2 onto CPU 0.
write_config "device = \"net_pcap0,tx_pcap=$tmp/tx.pcap\";" "1, 2"
expect_port_failure "more TX queues than the device has" "2 workers but the device has only 1 TX queue" \
	--lcores "0@0,1@0,2@0" --

write_config 'pcap = "no-such-dir/bad.pcap";' 1
expect_port_failure "pcap file that cannot be created" "no-such-dir/bad\.pcap: No such file or directory"
[ -e "$tmp/out/good.pcap" ] || fail "pcap file case: the good port's pcap was not written"
echo "ok"
