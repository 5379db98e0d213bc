#!/usr/bin/env bash
# Bad input on the command line or in the config: one clear line, exit 2.
. "$(dirname "$0")/lib.sh"

expect_usage_error() {
	local what=$1 pattern=$2; shift 2
	local rc=0
	"$TEMPOGEN" "$@" > "$tmp/out.txt" 2> "$tmp/err.txt" || rc=$?
	[ "$rc" -eq 2 ] || fail "$what: exit status $rc, expected 2"
	grep -Eq -- "$pattern" "$tmp/err.txt" || { cat "$tmp/err.txt"; fail "$what: message does not match '$pattern'"; }
}

printf 'run = { seed = 1; colour = "red"; };\nports = ();\n' > "$tmp/unknown.cfg"
expect_usage_error "unknown key" "unknown.cfg:1: .*colour" -c "$tmp/unknown.cfg"
printf 'run = {\n  duration = "long";\n};\n' > "$tmp/type.cfg"
expect_usage_error "wrong type" "type.cfg:2: .*duration" -c "$tmp/type.cfg"
printf 'run = { seed = 1 \n' > "$tmp/syntax.cfg"
expect_usage_error "syntax error" "syntax.cfg:[0-9]+: " -c "$tmp/syntax.cfg"
expect_usage_error "missing file" "nonexistent.cfg" -c "$tmp/nonexistent.cfg"
expect_usage_error "no config" "no config" 
expect_usage_error "bad seed" "--seed" -c "$TG_SOURCE_ROOT/config/default.cfg" -s banana
expect_usage_error "unknown option" "usage:" -c "$TG_SOURCE_ROOT/config/default.cfg" --frobnicate

# A broken model named by the config.
printf 'format = "tempogen-model";\nversion = 99;\n' > "$tmp/bad.tgm"
sed -E "s|^([[:space:]]*)(ports[[:space:]]*=)|\1\2|" "$TG_SOURCE_ROOT/config/default.cfg" |
	awk -v m="$tmp/bad.tgm" '{print} /pcap[[:space:]]*=/ && !done {print "    model = \"" m "\";"; done=1}' > "$tmp/model.cfg"
expect_usage_error "bad model version" "bad.tgm:2: version" -c "$tmp/model.cfg"

"$TEMPOGEN" --help | grep -q "usage:" || fail "--help prints no usage"
echo "ok"
