#!/usr/bin/env bash
# The net_pcap vdev as a port: a paced device run whose frames DPDK writes
# to a pcap, as valid as the direct pcap output.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark is not installed"

cat > "$tmp/vdev.cfg" <<CFG
run = { duration = 3.0; output_dir = "$tmp/out"; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 256;
        args = [ "--log-level=notice" ]; };
ports = ( { name = "vp"; device = "net_pcap0,tx_pcap=$tmp/tx.pcap";
            rate = "5 kpps";
            model = "$TG_SOURCE_ROOT/models/office-parametric.tgm"; } );
CFG
"$TEMPOGEN" -c "$tmp/vdev.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
sent=$(sed -n 's/^  vp *packets \([0-9]*\).*/\1/p' "$tmp/run.log")
written=$(capinfos -c -M "$tmp/tx.pcap" | sed -n 's/^Number of packets: *//p')
echo "sent $sent, in the pcap $written"
[ "$sent" -gt 10000 ] || fail "only $sent packets at 5 kpps for 3 s"
[ "$written" -eq "$sent" ] || fail "summary says $sent packets, net_pcap wrote $written"
assert_valid_pcap "$tmp/tx.pcap"
echo "ok"
