#!/usr/bin/env python3
"""Check a labels file (JSON lines) against its pcap, packet by packet.

usage: labels_check.py PCAP LABELS

Every line must parse and hold every field; every packet of the pcap must
belong to exactly one labelled flow (same 5-tuple, inside the flow's start
and end time) and every label must count exactly the packets and frame
bytes of its flow in each direction, with its first and last packet times;
the sets of 5-tuples (conversations) of the pcap and the labels must be
equal. Prints a one-line summary; exit status 1 with the reasons if not.
"""
import collections
import json
import subprocess
import sys

FIELDS = ["frame.time_epoch", "frame.len", "ip.src", "ip.dst", "ipv6.src",
          "ipv6.dst", "ip.proto", "ipv6.nxt", "tcp.srcport", "tcp.dstport",
          "udp.srcport", "udp.dstport", "icmp.type", "icmp.ident",
          "icmpv6.type", "icmpv6.echo.identifier"]
KEYS = {"id": int, "port": str, "worker": int, "service": str, "proto": str,
        "ip_version": int, "client_ip": str, "client_port": int,
        "server_ip": str, "server_port": int, "start_ns": int, "end_ns": int,
        "packets_c2s": int, "packets_s2c": int, "bytes_c2s": int,
        "bytes_s2c": int, "end": str, "effects": list}
ENDS = {"fin", "rst", "done", "drained", "aborted", "unanswered", "stopped"}
PROTO = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def ns(epoch):
    sec, _, frac = epoch.partition(".")
    return int(sec) * 10**9 + int((frac + "000000000")[:9])


def packets(pcap):
    """(time ns, frame bytes, proto, src, sport, dst, dport) of each packet;
    ICMP echoes carry their identifier as the client's port and 0."""
    out = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-T", "fields", "-E", "occurrence=f",
         "-E", "separator=\t"] + sum((["-e", f] for f in FIELDS), []),
        check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        proto = PROTO.get(v["ip.proto"] or v["ipv6.nxt"], "?")
        src = v["ip.src"] or v["ipv6.src"]
        dst = v["ip.dst"] or v["ipv6.dst"]
        if proto in ("tcp", "udp"):
            sport, dport = int(v[proto + ".srcport"]), int(v[proto + ".dstport"])
        elif proto == "icmp":
            ident = int(v["icmp.ident"] or 0)
            req = v["icmp.type"] == "8"
            sport, dport = (ident, 0) if req else (0, ident)
        else:
            ident = int(v["icmpv6.echo.identifier"] or 0)
            req = v["icmpv6.type"] == "128"
            sport, dport = (ident, 0) if req else (0, ident)
        yield ns(v["frame.time_epoch"]), int(v["frame.len"]), proto, src, sport, dst, dport


def conversations(pcap):
    """{(proto, frozenset of the two "address:port")): total frames} from
    tshark's own conversation tables (conv,tcp and conv,udp)."""
    out = subprocess.run(["tshark", "-n", "-q", "-r", pcap, "-z", "conv,tcp",
                          "-z", "conv,udp"], check=True, capture_output=True,
                         text=True).stdout
    convs, proto = {}, None
    for line in out.splitlines():
        if line.startswith(("TCP Conversations", "UDP Conversations")):
            proto = line[:3].lower()
        elif "<->" in line:
            a, _, rest = line.partition("<->")
            b, *cols = rest.split()
            # <- frames, bytes, -> frames, bytes, total frames, bytes, ...
            # (bytes may come with a unit: "14 kB", "1443 bytes")
            nums = [c for c in cols if c.replace(".", "").isdigit()]
            total = int(nums[4])
            key = (proto, frozenset((a.strip(), b)))
            convs[key] = convs.get(key, 0) + total  # tshark may split one
    return convs


def conv_frames_check(pcap, flows, errors):
    """The conversations tshark finds are the labelled 5-tuples of TCP and
    UDP, with as many frames as their labels say."""
    want = collections.Counter()
    for (proto, cip, cport, sip, sport), labs in flows.items():
        if proto in ("tcp", "udp"):
            key = (proto, frozenset((f"{cip}:{cport}", f"{sip}:{sport}")))
            want[key] += sum(l["packets_c2s"] + l["packets_s2c"] for l in labs)
    got = conversations(pcap)
    if set(got) != set(want):
        errors.append(f"tshark conversations: {len(set(got) - set(want))} not "
                      f"labelled, {len(set(want) - set(got))} labelled but absent")
    diff = [k for k in got if k in want and got[k] != want[k]]
    if diff:
        errors.append(f"{len(diff)} conversations whose frames differ, e.g. "
                      f"{sorted(diff[0][1])}: tshark {got[diff[0]]}, labels {want[diff[0]]}")
    return len(got)


def main():
    pcap, labels = sys.argv[1], sys.argv[2]
    errors = []
    flows = collections.defaultdict(list)   # tuple -> [label]
    seen = set()
    with open(labels, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        errors.append("the last line is not complete")
    for n, line in enumerate(data.decode().splitlines(), 1):
        try:
            lab = json.loads(line)
        except ValueError as e:
            errors.append(f"line {n}: not JSON: {e}")
            continue
        for k, t in KEYS.items():
            if not isinstance(lab.get(k), t):
                errors.append(f"line {n}: {k} missing or not {t.__name__}")
        if errors:
            break
        if lab["end"] not in ENDS or lab["effects"] != []:
            errors.append(f"line {n}: bad end or effects")
        if (lab["port"], lab["worker"], lab["id"]) in seen:
            errors.append(f"line {n}: flow {lab['id']} labelled twice")
        seen.add((lab["port"], lab["worker"], lab["id"]))
        if lab["packets_c2s"] + lab["packets_s2c"] == 0 or lab["start_ns"] > lab["end_ns"]:
            errors.append(f"line {n}: no packets or end before start")
        key = (lab["proto"], lab["client_ip"], lab["client_port"],
               lab["server_ip"], lab["server_port"])
        lab["count"] = [0, 0, 0, 0, None, None]
        flows[key].append(lab)
    n_pkts = stray = 0
    for t, size, proto, src, sport, dst, dport in packets(pcap):
        n_pkts += 1
        c2s = (proto, src, sport, dst, dport)
        s2c = (proto, dst, dport, src, sport)
        key, d = (c2s, 0) if c2s in flows else (s2c, 1)
        match = [l for l in flows.get(key, []) if l["start_ns"] <= t <= l["end_ns"]]
        if len(match) != 1:
            stray += 1
            if stray <= 5:
                errors.append(f"packet {n_pkts} {c2s} at {t}: in {len(match)} labelled flows")
            continue
        c = match[0]["count"]
        c[d] += 1
        c[2 + d] += size
        c[4] = t if c[4] is None else c[4]
        c[5] = t
    bad = 0
    for key, labs in flows.items():
        for l in labs:
            c = l["count"]
            want = [l["packets_c2s"], l["packets_s2c"], l["bytes_c2s"],
                    l["bytes_s2c"], l["start_ns"], l["end_ns"]]
            if c != want:
                bad += 1
                if bad <= 5:
                    errors.append(f"flow {l['worker']}/{l['id']} {key}: pcap has "
                                  f"{c}, label says {want}")
    n_labels = sum(len(v) for v in flows.values())
    n_conv = conv_frames_check(pcap, flows, errors) if not errors else 0
    print(f"{n_pkts} packets, {n_labels} labels, {len(flows)} 5-tuples, "
          f"{n_conv} TCP/UDP conversations; {stray} packets outside labelled "
          f"flows, {bad} labels that disagree")
    if stray or bad or errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
