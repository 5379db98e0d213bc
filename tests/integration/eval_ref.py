#!/usr/bin/env python3
"""Independent reference for tempogen-eval: the JSD of packet size and of
TTL and the EMD of packet size, from `tshark -T fields -e frame.len -e
ip.ttl -e ipv6.hlim` output of two captures, by the formulas of
docs/eval.md. Usage: eval_ref.py REAL.txt SYNTH.txt; prints key value."""
import math
import sys
from collections import Counter


def read(path):
    sizes, ttls = [], []
    with open(path) as f:
        for line in f:
            cols = line.rstrip('\n').split('\t')
            sizes.append(int(cols[0]))
            # ip.ttl, else ipv6.hlim; tshark lists both for 4in6/6in4.
            ttl = cols[1] or cols[2]
            ttls.append(int(ttl.split(',')[0]))
    return sizes, ttls


def log_bin(x):
    if x < 4:
        return x
    e = x.bit_length() - 1
    return 4 * (e - 1) + ((x >> (e - 2)) & 3)


def size_bin(n):
    return n // 16 if n < 2048 else 128 + log_bin(n) - log_bin(2048)


def jsd(a, b):
    pa, pb = Counter(a), Counter(b)
    na, nb = len(a), len(b)
    total = 0.0
    for k in set(pa) | set(pb):
        p, q = pa[k] / na, pb[k] / nb
        m = (p + q) / 2
        if p:
            total += p * math.log2(p / m) / 2
        if q:
            total += q * math.log2(q / m) / 2
    return total


def emd(a, b):
    """W1 = integral of |F_a - F_b| over the merged support."""
    a, b = sorted(a), sorted(b)
    xs = sorted(set(a) | set(b))
    ia = ib = 0
    total = 0.0
    for x, nxt in zip(xs, xs[1:]):
        while ia < len(a) and a[ia] <= x:
            ia += 1
        while ib < len(b) and b[ib] <= x:
            ib += 1
        total += abs(ia / len(a) - ib / len(b)) * (nxt - x)
    return total


def main():
    rs, rt = read(sys.argv[1])
    ss, st = read(sys.argv[2])
    print('jsd_pkt_size', repr(jsd([size_bin(x) for x in rs],
                                   [size_bin(x) for x in ss])))
    print('jsd_ttl', repr(jsd(rt, st)))
    print('emd_pkt_size', repr(emd(rs, ss)))


main()
