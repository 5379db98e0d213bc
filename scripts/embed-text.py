#!/usr/bin/env python3
# Build step: turn a text file into a C string constant, so a default
# (model, config) ships inside the binary and still lives as a readable file.
# usage: embed-text.py INPUT OUTPUT SYMBOL
import sys

src, out, symbol = sys.argv[1:4]
with open(src, "rb") as f:
    data = f.read()
lines = []
for line in data.decode("utf-8").splitlines(keepends=True):
    esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    lines.append('\t"%s"' % esc)
with open(out, "w") as f:
    f.write("/* Generated from %s by scripts/embed-text.py; do not edit. */\n"
            % src.split("/")[-1])
    f.write("const char %s[] =\n%s;\n" % (symbol, "\n".join(lines) or '""'))
