#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# test_cli.sh FLUSSO SRCDIR - the binary's command-line contract: help, version,
# exit codes 0/1/2, did-you-mean, env twins, unbuilt commands.
set -u
bin=$1
src=${2:-.}
n=0
fail=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# expect CODE DESCRIPTION -- ARGS...: run, compare the exit code.
expect() {
	want=$1; what=$2; shift 3
	n=$((n + 1))
	"$bin" "$@" >"$out" 2>"$err"
	got=$?
	if [ "$got" = "$want" ]; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what (exit $got, want $want)"
		sed 's/^/#   stderr: /' "$err"
		fail=$((fail + 1))
	fi
}

# grep_in FILE PATTERN DESCRIPTION
grep_in() {
	n=$((n + 1))
	if grep -q -- "$2" "$1"; then
		echo "ok $n - $3"
	else
		echo "not ok $n - $3 (no '$2')"
		sed 's/^/#   /' "$1"
		fail=$((fail + 1))
	fi
}

expect 0 "--help" -- --help
for c in run tui status check slot completion version help; do
	grep_in "$out" "^  $c " "--help lists $c"
done
expect 0 "-h" -- -h
expect 2 "no command is a usage error" --
grep_in "$err" "usage: flusso" "no command prints usage"
expect 0 "--version" -- --version
grep_in "$out" "^flusso [0-9]" "--version prints the version"
expect 0 "version" -- version
grep_in "$out" "libpq" "version lists libpq"
grep_in "$out" "readline" "version lists readline"
expect 2 "unknown command" -- nosuch
grep_in "$err" "unknown command 'nosuch'" "names the unknown command"
grep_in "$err" "usage: flusso" "unknown command prints usage"
expect 2 "near miss" -- chek
grep_in "$err" "did you mean 'check'" "did you mean"
expect 0 "help CMD" -- help check
grep_in "$out" "usage: flusso check" "help check shows usage"
grep_in "$out" "FLUSSO_CONFIG" "help shows env twins"
expect 0 "CMD --help" -- run --help
grep_in "$out" "--queue-capacity" "run --help lists its options"
expect 2 "help of unknown command" -- help nosuch
expect 2 "unknown option" -- check --confg x
grep_in "$err" "did you mean '--config'" "option hint"
expect 2 "range check" -- run --queue-capacity 0
grep_in "$err" "between 1 and 1048576" "range named"
expect 2 "lag-poll-secs 0" -- run --lag-poll-secs 0
grep_in "$err" "between 1 and 3600" "lag-poll range named"
expect 2 "stray argument" -- check extra
expect 2 "option before command" -- --log-level debug check
export FLUSSO_LOG_LEVEL=loud
expect 2 "bad env twin" -- check
grep_in "$err" "FLUSSO_LOG_LEVEL" "env error names the variable"
expect 0 "help despite bad env" -- check --help
unset FLUSSO_LOG_LEVEL
export FLUSSO_QUEUE_CAPACITY=0
expect 2 "env twin range check" -- run
unset FLUSSO_QUEUE_CAPACITY
expect 1 "tui without a terminal" -- tui
grep_in "$err" "flusso status --watch" "tui without a terminal points to flusso run and status --watch"
expect 1 "run without a config" -- run -c /nonexistent/flusso.yml
grep_in "$err" "not found" "run names the missing config"
expect 1 "status without a daemon" -- status --public-address 127.0.0.1:1
grep_in "$err" "cannot reach" "status says the daemon is unreachable"
expect 1 "ctl without a daemon" -- ctl --server 127.0.0.1:1 --admin-password x indexes
expect 2 "ctl unknown command" -- ctl nosuch
expect 1 "ctl passes a command's options on" -- ctl --server 127.0.0.1:1 --admin-password x inspect --json users 1
grep_in "$err" "cannot reach" "ctl inspect --json reaches for the daemon"
expect 2 "ctl checks a command's options" -- ctl --server 127.0.0.1:1 inspect --nope users 1
grep_in "$err" "unknown option --nope for \`inspect\`" "and names the bad one"
expect 0 "ctl COMMAND --help is the command's help" -- ctl inspect --help
grep_in "$out" "--sink NAME" "inspect's own options"
expect 1 "repair without a daemon" -- repair --server 127.0.0.1:1 --admin-password x users 1 2
expect 1 "inspect without a config" -- inspect -c /nonexistent/flusso.yml users 1
expect 2 "inspect without an ID" -- inspect -c /nonexistent/flusso.yml users
expect 1 "ctl with an unreadable password file" -- ctl --server 127.0.0.1:1 --admin-password-file /nonexistent/pw indexes
grep_in "$err" "cannot read the admin password file /nonexistent/pw" "the password file is named"
expect 2 "run with a bad slot name" -- run --slot Bad-Slot
grep_in "$err" "invalid slot name" "slot name checked by run"
expect 0 "slot --help" -- slot --help
grep_in "$out" "--max-changes" "slot --help lists its options"
expect 2 "slot with a bad slot name" -- slot --slot Bad-Slot
expect 2 "slot --max-changes 0" -- slot --max-changes 0
expect 2 "slot --top 0" -- slot --top 0
expect 1 "slot without a config" -- slot -c /nonexistent/flusso.yml
grep_in "$err" "not found" "slot names the missing config"

# check --offline on the shipped example and on a broken file
shop=$src/share/examples/shop/flusso.yml
expect 0 "check --offline on the shop example" -- check --offline -c "$shop"
grep_in "$out" "hash alias shop_users_" "check prints hash aliases"
grep_in "$err" "check passed: 0 errors" "check summary on stderr"
expect 0 "check --json" -- check --offline --json -c "$shop"
grep_in "$out" '"hash_alias"' "json report has hash aliases"
grep_in "$out" '"dynamic": "strict"' "json report has the bodies"
export FLUSSO_CONFIG=$shop
expect 0 "FLUSSO_CONFIG env twin" -- check --offline
unset FLUSSO_CONFIG
bad=$(mktemp -d)
printf 'source: {type: postgres}\nsinks:\n  s: {type: opensearch, url: x, batch_size: 0}\n' >"$bad/flusso.yml"
expect 1 "check reports a bad config" -- check --offline -c "$bad/flusso.yml"
grep_in "$err" "flusso.yml:3:45: sinks.s.batch_size: must be between 1 and 100000, found 0" "error with position and key path"
expect 1 "missing config file" -- check --offline -c "$bad/nosuch.yml"
grep_in "$err" "config file $bad/nosuch.yml not found" "names the missing file"
expect 1 "bad prefix override" -- check --offline -c "$bad/flusso.yml" --index-prefix Bad
expect 2 "bad slot name" -- check --offline --slot my-slot -c "$shop"
grep_in "$err" "invalid slot name" "slot name checked"
export FLUSSO_SECRET_PW=hunter2-secret
printf 'source:\n  type: postgres\n  connection_url: {database: d, password: hunter2-literal}\nsinks:\n  s: {type: opensearch, url: "http://u:hunter2-url@h:9200", username: u, password: {env: FLUSSO_SECRET_PW}}\n' >"$bad/flusso.yml"
expect 0 "check with secrets" -- check --offline -c "$bad/flusso.yml"
n=$((n + 1))
if grep -q hunter2 "$out" "$err"; then
	echo "not ok $n - secrets never printed"; fail=$((fail + 1))
else
	echo "ok $n - secrets never printed"
fi
expect 0 "check --json with secrets" -- check --offline --json -c "$bad/flusso.yml"
n=$((n + 1))
if grep -q hunter2 "$out" "$err"; then
	echo "not ok $n - secrets never printed in JSON"; fail=$((fail + 1))
else
	echo "ok $n - secrets never printed in JSON"
fi
rm -rf "$bad"

echo "1..$n"
[ "$fail" = 0 ]
