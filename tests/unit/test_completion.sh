#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_completion.sh FLUSSO SRCDIR - `flusso completion bash|zsh`: the
# bash script sourced in `bash --norc` and its _flusso called as bash
# would call it (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT): command
# names, options, option values (choices, --opt=value), `flusso ctl`
# commands, index names from a configuration; every command of the table
# is in the script; the zsh script parses (zsh -n) when zsh is here.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "${2:-.}" && pwd)
n=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { # ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
	fi
}

"$bin" completion bash >"$tmp/flusso.bash"
ok $? "completion bash exits 0"
"$bin" completion zsh >"$tmp/_flusso"
ok $? "completion zsh exits 0"
"$bin" completion fish >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "bash or zsh" "$tmp/err"
ok $? "an unknown shell is a usage error"
"$bin" completion >/dev/null 2>&1
[ $? = 2 ]
ok $? "no shell is a usage error"

# Every command of the table (help order, shortcuts too) is offered.
names=$("$bin" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')
[ -n "$names" ]
ok $? "--help lists commands"
for c in $names; do
	grep -q "^_flusso_cmds='.*\b$c\b" "$tmp/flusso.bash"
	ok $? "bash script offers $c"
	grep -q "^	'$c:" "$tmp/_flusso"
	ok $? "zsh script offers $c"
done

# comp LINE: complete LINE (cursor at its end) as bash would, split at
# blanks and '=' (COMP_WORDBREAKS); prints COMPREPLY, one a line.
cat >"$tmp/run.bash" <<'EOF'
source "$1" || exit 9
line=$2
words=${line//=/ = }
read -ra COMP_WORDS <<<"${words//:/ : }"
case $line in *' ' | *=) COMP_WORDS+=('') ;; esac
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
_flusso || exit 8
printf '%s\n' "${COMPREPLY[@]}"
EOF
comp() {
	PATH="$(dirname "$bin"):$PATH" bash --norc "$tmp/run.bash" \
	    "$tmp/flusso.bash" "$1" 2>"$tmp/err"
}
# want LINE EXPECTED DESCRIPTION: the candidates, sorted, joined by ' '
want() {
	got=$(comp "$1" | sort | tr '\n' ' ' | sed 's/ $//')
	n=$((n + 1))
	if [ "$got" = "$2" ]; then
		echo "ok $n - $3"
	else
		echo "not ok $n - $3: '$1' gave '$got', want '$2'"
		sed 's/^/#   stderr: /' "$tmp/err"
		fail=$((fail + 1))
	fi
}

want "flusso ins" "inspect" "command name"
want "flusso re" "reindex reload repair resume retry" "command names"
want "flusso -" "--help --version -V -h" "options before a command"
want "flusso verify --li" "--limit" "option of a command"
want "flusso verify --limit 5 --js" "--json" "after an option's value"
want "flusso run --log-level d" "debug" "option choices"
want "flusso run --log-level=" "debug error info trace warn" \
    "choices after --opt="
want "flusso run --log-level=t" "trace" "choices after --opt=t"
want "flusso check --format " "human json" "choices of another option"
want "flusso run --manage-publication " "false true" "a BOOL option"
want "flusso run --workers " "" "no candidates for a number"
want "flusso ctl pa" "pause" "ctl command"
want "flusso ctl --server 1.2.3.4:5 po" "policy" \
    "ctl command after ctl options"
want "flusso ctl inspect --j" "--json" "ctl command option"
want "flusso ctl --server=127.0.0.1:9465 re" \
    "reindex reload repair resume retry" "ctl after --server=ADDR:PORT"
want "flusso ctl policy x s" "skip stop" "ctl literal argument"
want "flusso ctl help sq" "sql" "ctl help takes ctl commands"
want "flusso help ver" "verify version" "help takes commands"
want "flusso completion " "bash zsh" "completion takes a shell"
want "flusso version x" "" "nothing after the last argument"

# Index names from the configuration given with -c (the shop example
# loads without its environment).
shop=$src/share/examples/shop/flusso.yml
unset SHOP_DATABASE_URL SHOP_OPENSEARCH_URL FLUSSO_CONFIG
got=$(cd "$tmp" && "$bin" completion --indexes -c "$shop" 2>&1 | tr '\n' ' ')
[ "$got" = "orders products users " ]
ok $? "completion --indexes lists the shop indexes (got '$got')"
got=$(cd "$tmp" && "$bin" completion --indexes 2>&1; echo "rc=$?")
[ "$got" = "rc=0" ]
ok $? "completion --indexes without a config: nothing, exit 0 ($got)"
got=$("$bin" completion --indexes -c "$tmp/nosuch.yml" 2>&1; echo "rc=$?")
[ "$got" = "rc=0" ]
ok $? "completion --indexes of a missing file: nothing ($got)"
want "flusso inspect -c $shop " "orders products users" \
    "INDEX from -c"
want "flusso inspect --config=$shop p" "products" "INDEX from --config="
want "flusso verify -c $shop orders " "orders products users" \
    "INDEX... repeats"
want "flusso pause -c $shop " "" "-c is not a pause option"
got=$(cd "$src/share/examples/shop" && comp "flusso pause " | sort |
    tr '\n' ' ')
[ "$got" = "all orders products users " ]
ok $? "INDEX|all from ./flusso.yml (got '$got')"
got=$(FLUSSO_CONFIG=$shop comp "flusso ctl reindex " | sort | tr '\n' ' ')
[ "$got" = "orders products users " ]
ok $? "ctl INDEX from FLUSSO_CONFIG (got '$got')"

# Files for PATH options.
mkdir "$tmp/cfgdir" && : >"$tmp/cfgdir/mine.yml"
want "flusso check -c $tmp/cfgdir/mi" "$tmp/cfgdir/mine.yml" "PATH: files"
want "flusso check --config=$tmp/cfgdir/mi" "$tmp/cfgdir/mine.yml" \
    "PATH: files after --config="

mkdir "$tmp/a:b" && : >"$tmp/a:b/file.yml"
want "flusso check -c $tmp/a:b/fi" "b/file.yml" \
    "PATH with ':': what follows the ':' is replaced"

# bash splits at '=' only when COMP_WORDBREAKS says so: without, the
# whole word is replaced.
cat >"$tmp/nobreak.bash" <<'EOF'
source "$1"
COMP_WORDBREAKS=$' \t\n'
COMP_WORDS=(flusso run --log-level=w)
COMP_CWORD=2 COMP_LINE='flusso run --log-level=w' COMP_POINT=24
_flusso
printf '%s\n' "${COMPREPLY[@]}"
EOF
got=$(bash --norc "$tmp/nobreak.bash" "$tmp/flusso.bash")
[ "$got" = "--log-level=warn" ]
ok $? "--opt=value as one word (got '$got')"

# Registered for flusso.
got=$(bash --norc -c 'source "$1"; complete -p flusso' _ "$tmp/flusso.bash")
[ "$got" = "complete -F _flusso flusso" ]
ok $? "complete -F _flusso flusso"

head -1 "$tmp/_flusso" | grep -q '^#compdef flusso$'
ok $? "zsh script starts with #compdef flusso"
grep -q '^_flusso() {' "$tmp/_flusso"
ok $? "zsh script defines _flusso"
if command -v zsh >/dev/null; then
	zsh -n "$tmp/_flusso"
	ok $? "zsh -n accepts the zsh script"
else
	echo "ok $((n += 1)) - zsh -n # SKIP zsh not installed"
fi

echo "1..$n"
[ "$fail" = 0 ]
