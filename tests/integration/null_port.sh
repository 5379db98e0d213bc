#!/usr/bin/env bash
# A timed run on a net_null port without hugepages: live statistics once a
# second and a summary. TG_NULL_SECONDS sets the length (10 by default).
. "$(dirname "$0")/lib.sh"
secs=${TG_NULL_SECONDS:-10}

cat > "$tmp/null.cfg" <<CFG
run = { duration = $secs.0; output_dir = "$tmp/out"; };
lcores = { control = 0; workers = [ 1 ]; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 256;
        args = [ "--log-level=notice" ]; };
ports = ( { name = "null0"; device = "net_null0,no-rx=1";
            clients = { ipv4 = "10.1.0.0/16"; };
            servers = { ipv4 = "198.18.0.0/20"; };
            rate = "unlimited"; } );
CFG
"$TEMPOGEN" -c "$tmp/null.cfg" > "$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
cat "$tmp/run.log"
live=$(grep -c 'pkt/s' "$tmp/run.log")
[ "$live" -ge $((secs - 1)) ] || fail "only $live live statistics lines in $secs s"
grep -Eq '^  null0 +packets [1-9][0-9]*' "$tmp/run.log" || fail "summary reports no packets"
echo "ok"
