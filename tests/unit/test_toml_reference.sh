#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# test_toml_reference.sh FLUSSO SRC - a flusso.toml means what its YAML
# translation means: `flusso config show` prints the same effective
# configuration for both, `flusso config convert` prints the same tree for
# both, and the converted file loads to the same configuration again.
# Always for tests/data/toml/own; for every TOML deployment file of the
# reference repository (tests/data/toml/reference/MANIFEST) when its files
# are found (tests/lib/reference_data.sh: $FLUSSO_REFERENCE_DATA, the
# steering repo's shared/reference, $FLUSSO_REFERENCE_REPO), each one
# missing is a TAP SKIP. Also: `flusso check --offline` passes on the
# reference's dev/flusso.toml and dev schemas.
set -u
flusso=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
# shellcheck source=tests/lib/reference_data.sh
. "$src/tests/lib/reference_data.sh"
data=$src/tests/data/toml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

ok() { # ok COND-EXIT-CODE DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# show DIR TOML YML: effective configs and converted trees equal.
show() {
	(cd "$1" && "$flusso" config show -c "$2" >toml.json 2>toml.err)
	ok $? "$3: $2 loads"
	(cd "$1" && "$flusso" config show -c "$3" >yml.json 2>yml.err)
	ok $? "$3: the YAML translation loads"
	cmp -s "$1/toml.json" "$1/yml.json"
	ok $? "$3: same effective configuration"
	cmp -s "$1/toml.json" "$1/yml.json" || diff "$1/toml.json" "$1/yml.json" | sed 's/^/# /' | head -20
	doc "$@"
	(cd "$1" && "$flusso" config convert "$2" >converted.yml &&
		"$flusso" config show -c converted.yml >conv.json 2>/dev/null)
	ok $? "$3: config convert output loads"
	cmp -s "$1/toml.json" "$1/conv.json"
	ok $? "$3: and gives the same effective configuration"
}

# doc DIR TOML YML: config convert prints the same tree for both.
doc() {
	(cd "$1" && "$flusso" config convert "$2" >toml.conv &&
		"$flusso" config convert "$3" >yml.conv)
	ok $? "$3: both convert"
	tail -n +2 "$1/toml.conv" >"$1/toml.tree"
	tail -n +2 "$1/yml.conv" >"$1/yml.tree"
	cmp -s "$1/toml.tree" "$1/yml.tree"
	ok $? "$3: the same document tree"
	cmp -s "$1/toml.tree" "$1/yml.tree" || diff "$1/toml.tree" "$1/yml.tree" | sed 's/^/# /' | head -20
}

# The messages of a failed load without file:line:col.
msgs() { sed -E 's/^(error|warning): [^ ]*:[0-9]+:[0-9]+: /\1: /' "$1" | grep -v '^check failed'; }

echo "# own fixtures"
mkdir "$tmp/own"
cp "$data/own/"* "$tmp/own/"
show "$tmp/own" flusso.toml flusso.yml
(cd "$tmp/own" && "$flusso" check --offline -c flusso.toml >check.out 2>&1)
ok $? "own: check --offline passes"
grep -q '^config flusso.toml (toml)$' "$tmp/own/check.out"
ok $? "own: check says it read the toml"
rm "$tmp/own/flusso.yml"
(cd "$tmp/own" && "$flusso" check --offline >check2.out 2>&1)
ok $? "own: without flusso.yml, the default finds flusso.toml"
grep -q '^config flusso.toml (toml)$' "$tmp/own/check2.out"
ok $? "own: and says so"

if ! ref_data_find "$src"; then
	skip "reference TOML files: $REF_DATA_WHY"
	skip "reference dev/flusso.toml: $REF_DATA_WHY"
	echo "1..$n"
	echo "$((n - failed)) passed, $failed failed"
	[ "$failed" = 0 ]
	exit
fi

# extract PATH BLOCK > file: a whole file, a ```toml block, or the Helm value.
extract() {
	case $2 in
	-) ref_data_cat "$1" ;;
	flussoToml) ref_data_cat "$1" |
		awk '/^  flussoToml: \|/ {p=1; next} p && /^    / {print substr($0, 5); next} p && !/^$/ {exit} p {print}' ;;
	*) ref_data_cat "$1" | awk -v at="$2" '
		NR == at { match($0, /^[ \t]*/); ind = RLENGTH; p = 1; next }
		p && /^[ \t]*```/ { exit }
		p { print substr($0, ind + 1) }' ;;
	esac
}

# Schemas a config names: from the reference's directory, else a stub.
schemas() { # schemas DIR REFDIR
	for s in $(sed -n 's/^schema *= *"\(.*\)".*/\1/p' "$1/flusso.toml"); do
		if ref_data_has "$2/$s"; then
			ref_data_cat "$2/$s" >"$1/$s"
		else
			printf 'version: 1\ntable: %s\nfields:\n  - keyword: k\n    required: true\n' \
				"$(basename "$s" .schema.yml)" >"$1/$s"
		fi
	done
}

i=0
grep -v '^#' "$data/reference/MANIFEST" | while read -r path block yml mode; do
	i=$((i + 1))
	d=$tmp/ref$i
	mkdir "$d"
	if ! ref_data_has "$path"; then
		skip "$path: not in the reference data ($REF_DATA_WHERE)"
		echo "$n $failed" >"$tmp/count"
		continue
	fi
	extract "$path" "$block" >"$d/flusso.toml"
	echo "# $path $block ($mode)"
	[ -s "$d/flusso.toml" ] || { echo "not ok - $path $block: nothing extracted"; echo FAIL >>"$tmp/fails"; continue; }
	[ "$yml" != - ] && cp "$data/reference/$yml" "$d/$yml"
	case $mode in
	show)
		schemas "$d" "$(dirname "$path")"
		show "$d" flusso.toml "$yml" ;;
	doc) doc "$d" flusso.toml "$yml" ;;
	fail)
		(cd "$d" && "$flusso" check --offline -c flusso.toml >/dev/null 2>toml.err)
		[ $? = 1 ]; ok $? "$yml: the TOML fails to load"
		(cd "$d" && "$flusso" check --offline -c "$yml" >/dev/null 2>yml.err)
		[ $? = 1 ]; ok $? "$yml: so does its translation"
		[ "$(msgs "$d/toml.err")" = "$(msgs "$d/yml.err")" ]
		ok $? "$yml: with the same messages ($(msgs "$d/toml.err" | head -1))" ;;
	dup)
		(cd "$d" && "$flusso" config convert flusso.toml >/dev/null 2>toml.err)
		[ $? = 1 ] && grep -q 'duplicate key' "$d/toml.err"
		ok $? "$path:$block repeats a key: $(cat "$d/toml.err")" ;;
	esac
	echo "$n $failed" >"$tmp/count"
done
# the loop ran in a subshell: take its counts
if [ -f "$tmp/count" ]; then read -r n failed <"$tmp/count"; fi
[ -f "$tmp/fails" ] && failed=$((failed + $(wc -l <"$tmp/fails")))

echo "# reference dev/: check --offline on flusso.toml and its schemas ($REF_DATA_WHERE)"
mkdir "$tmp/dev"
if ref_data_has dev/flusso.toml; then
	for f in flusso.toml users.schema.yml products.schema.yml orders.schema.yml; do
		ref_data_cat "dev/$f" >"$tmp/dev/$f"
	done
	(cd "$tmp/dev" && "$flusso" check --offline -c flusso.toml >check.out 2>check.err)
	ok $? "reference dev/flusso.toml: check --offline passes"
	tail -1 "$tmp/dev/check.err" | sed 's/^/# /'
else
	skip "reference dev/flusso.toml: not in the reference data ($REF_DATA_WHERE)"
fi
echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
