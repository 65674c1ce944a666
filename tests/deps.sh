#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/deps.sh - install the Debian 12 packages flusso needs to build, test
# and run its demo, but only those that are missing. Needs root (or sudo)
# when something is missing; prints the list otherwise.
set -eu

pkgs=(
	build-essential cmake ninja-build pkg-config clang clang-format
	libclang-rt-14-dev
	libpq-dev libcurl4-openssl-dev libcjson-dev libyaml-dev zlib1g-dev
	libncurses-dev libreadline-dev libmicrohttpd-dev
	postgresql postgresql-client
	openjdk-17-jdk-headless maven
	curl ca-certificates tmux procps iproute2 valgrind python3
	python3-yaml # tests/integration/test_monitoring.sh
	libsystemd-dev systemd # sd_notify; systemd-analyze for test_systemd
	dpkg-dev lintian man-db
	libssl-dev openssl # SigV4 (libcrypto); test CA and certificates
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" = 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
else
	echo "deps: missing packages and no root: apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
