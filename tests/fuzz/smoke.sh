#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/fuzz/smoke.sh - build the libFuzzer targets (clang, ASan+UBSan,
# build-fuzz/) and run each for FUZZ_SECS seconds (default 30), two at a
# time, from the seeds in tests/fuzz/seeds/<name>. Prints each target's
# final libFuzzer line; exits 1 if any target crashed, leaked or timed
# out (the crashing input is kept in build-fuzz/artifacts/).
#   FUZZ_SECS=600 tests/fuzz/smoke.sh fuzz_pgoutput   # a longer run of one
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
secs=${FUZZ_SECS:-30}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_pgoutput fuzz_schema fuzz_yaml_doc fuzz_toml_doc fuzz_http_server)
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
CC=clang cmake -S . -B build-fuzz "${gen[@]}" -DCMAKE_BUILD_TYPE=Debug \
	-DFLUSSO_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}" >/dev/null
mkdir -p build-fuzz/artifacts build-fuzz/logs

run_one() { # run_one TARGET
	local t=$1 name=${1#fuzz_} corpus=build-fuzz/corpus/${1#fuzz_} extra=()
	mkdir -p "$corpus"
	[ -d "tests/fuzz/seeds/$name" ] && cp -n tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null
	[ -f "tests/fuzz/$name.dict" ] && extra=(-dict="tests/fuzz/$name.dict")
	ASAN_OPTIONS=detect_leaks=1 build-fuzz/tests/"$t" "${extra[@]}" \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=build-fuzz/artifacts/"$t"- "$corpus" \
		>build-fuzz/logs/"$t".log 2>&1
}
rc=0 pids=() names=()
for t in "${targets[@]}"; do
	run_one "$t" &
	pids+=($!) names+=("$t")
	if [ ${#pids[@]} -ge 2 ]; then
		for i in "${!pids[@]}"; do
			if ! wait "${pids[$i]}"; then echo "FAIL ${names[$i]}"; tail -30 "build-fuzz/logs/${names[$i]}.log"; rc=1; fi
		done
		pids=() names=()
	fi
done
for i in "${!pids[@]}"; do
	if ! wait "${pids[$i]}"; then echo "FAIL ${names[$i]}"; tail -30 "build-fuzz/logs/${names[$i]}.log"; rc=1; fi
done
for t in "${targets[@]}"; do
	printf '%-14s %s | %s\n' "$t" "$(grep -E '^Done [0-9]+ runs' "build-fuzz/logs/$t.log" | tail -1)" \
		"$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9/a-zA-Z]+' "build-fuzz/logs/$t.log" | tail -1)"
done
exit $rc
