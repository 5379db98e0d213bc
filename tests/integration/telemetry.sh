#!/usr/bin/env bash
# /tempogen/stats over DPDK's telemetry socket (issue 6): tempogen on
# net_null for a few seconds, queried twice through the socket as
# usertools/dpdk-telemetry.py does; the packet counters are positive and
# grow, and the per-port and per-worker figures add up.
#
# The EAL flags are the demo's (no_huge + in_memory, i.e. --no-huge
# --no-shconf): EAL still creates its runtime directory and the socket
# there. A unique --file-prefix gives this run a directory of its own, so
# the test never talks to another DPDK process on the machine.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

prefix=tg_tel_$$
if [ "$(id -u)" -eq 0 ]; then rundir=/var/run/dpdk/$prefix
else rundir=${XDG_RUNTIME_DIR:-/tmp}/dpdk/$prefix; fi
sock=$rundir/dpdk_telemetry.v2

cat > "$tmp/tel.cfg" <<CFG
run = { duration = 6.0; output_dir = "$tmp/out"; };
lcores = { control = 0; workers = [ 1 ]; };
eal = { no_huge = true; in_memory = true; no_pci = true; memory_mb = 256;
        args = [ "--log-level=notice", "--file-prefix", "$prefix" ]; };
ports = ( { name = "null-0"; device = "net_null0,no-rx=1";
            rate = "200 kpps"; } );
CFG
"$TEMPOGEN" -c "$tmp/tel.cfg" > "$tmp/run.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"; rmdir "$rundir" 2>/dev/null || true' EXIT

for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$tmp/run.log"; fail "no telemetry socket at $sock"; }
sleep 1
python3 - "$sock" "$pid" <<'PY' || fail "telemetry answers are wrong"
import json, socket, sys, time

path, pid = sys.argv[1], int(sys.argv[2])

def query(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    hello = json.loads(s.recv(16384).decode())
    assert hello["pid"] == pid, f"socket of pid {hello['pid']}, not {pid}"
    s.send(cmd.encode())
    reply = json.loads(s.recv(hello["max_output_len"]).decode())
    s.close()
    return reply[cmd.split(",")[0]]

# The commands answer once the workers are set up (a rate target first
# measures its model, slower under sanitizers): wait for that.
for _ in range(100):
    if query("/tempogen/ports") is not None:
        break
    time.sleep(0.1)
assert query("/tempogen/ports") == ["null-0"], query("/tempogen/ports")
assert query("/tempogen/workers") == [1], query("/tempogen/workers")
a = query("/tempogen/stats")
time.sleep(1.5)
b = query("/tempogen/stats")
print("first:", json.dumps(a))
print("second:", json.dumps(b))
for key in ("packets", "bytes", "bits", "drops", "flows_active",
            "flows_started", "capture_drops", "sessions", "backlog_ns",
            "pacing_p50_ns", "pacing_p99_ns", "pacing_max_ns"):
    assert key in a, f"no {key}"
# A packet rate target: the control lcore runs a population, and the
# worker has published how late its packets left.
assert b["sessions"] > 0, "no sessions"
assert 0 < b["pacing_max_ns"] and b["pacing_p50_ns"] <= b["pacing_p99_ns"] <= b["pacing_max_ns"], b
assert a["packets"] > 0, "no packets"
assert b["packets"] > a["packets"], "packets do not grow"
assert b["bits"] == 8 * b["bytes"]
# One port, one worker: the three views of the same counters agree (read
# at slightly different moments: later reads are never smaller).
port = query("/tempogen/stats,null-0")
worker = query("/tempogen/worker,1")
assert port["name"] == "null-0" and worker["lcore"] == 1
assert b["packets"] <= port["packets"] <= worker["packets"], (b, port, worker)
assert query("/tempogen/stats,nosuch") is None
assert query("/tempogen/worker,7") is None
PY
wait "$pid" || { cat "$tmp/run.log"; fail "tempogen exited $?"; }
[ ! -e "$sock" ] || fail "socket left behind"
echo "ok"
