#!/usr/bin/env bash
# A model file that cannot be read: unreadable (chmod 000), a directory, a
# device, deleted before the run, a dangling symbolic link. tempogen and
# tempogen-fit --check each print one line naming the file and exit 2,
# before EAL starts or anything is written.
. "$(dirname "$0")/lib.sh"
FIT=${TEMPOGEN_FIT:?}

cfg=$(config_into_tmp "$TG_SOURCE_ROOT/config/default.cfg")
good=$tmp/good.tgm
cp "$TG_SOURCE_ROOT/models/office-parametric.tgm" "$good"

# $1 names the case, $2 is the model path, $3 what the line must say after
# the path.
expect_model_error() {
	local what=$1 model=$2 why=$3 quoted
	quoted=$(printf '%s' "$model" | sed 's/[.[\*^$]/\\&/g')
	config_set_model "$cfg" "$model"
	expect_one_line_error "$TEMPOGEN" "tempogen, $what" "$quoted.*$why" -c "$cfg"
	[ ! -e "$tmp/out/demo.pcap" ] || fail "tempogen, $what: a pcap was written"
	expect_one_line_error "$FIT" "tempogen-fit --check, $what" "$quoted.*$why" --check "$model"
	echo "$what: one line naming $model, exit 2"
}

# The good copy works, so what fails below is the file and nothing else.
config_set_model "$cfg" "$good"
"$FIT" --check "$good" > /dev/null || fail "the model copy does not validate"

# Unreadable. Root (CAP_DAC_OVERRIDE) reads anything: as root both
# programs run as user nobody (setpriv), else the case is skipped with a
# message.
cp "$good" "$tmp/locked.tgm"
chmod 000 "$tmp/locked.tgm"
if [ ! -r "$tmp/locked.tgm" ]; then
	expect_model_error "unreadable" "$tmp/locked.tgm" "Permission denied"
elif [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$tmp"
	chmod 644 "$cfg"
	config_set_model "$cfg" "$tmp/locked.tgm"
	nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	expect_one_line_error "${nobody[0]}" "tempogen as nobody, unreadable" \
		"locked\.tgm.*Permission denied" "${nobody[@]:1}" "$TEMPOGEN" -c "$cfg"
	expect_one_line_error "${nobody[0]}" "tempogen-fit as nobody, unreadable" \
		"locked\.tgm.*Permission denied" "${nobody[@]:1}" "$FIT" --check "$tmp/locked.tgm"
	chmod 700 "$tmp"
	echo "unreadable: one line naming $tmp/locked.tgm, exit 2 (run as nobody)"
else
	echo "unreadable: skipped (running as $(id -un) without setpriv: chmod 000 does not deny reading)"
fi

mkdir "$tmp/dir.tgm"
expect_model_error "a directory" "$tmp/dir.tgm" "(not a file|Is a directory)"
expect_model_error "a device" "/dev/zero" "(not a file|not a regular file)"

cp "$good" "$tmp/gone.tgm"
rm "$tmp/gone.tgm"
expect_model_error "deleted" "$tmp/gone.tgm" "No such file or directory"

cp "$good" "$tmp/target.tgm"
ln -s "$tmp/target.tgm" "$tmp/link.tgm"
rm "$tmp/target.tgm"
expect_model_error "dangling link" "$tmp/link.tgm" "No such file or directory"
echo "ok"
