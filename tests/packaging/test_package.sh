#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/packaging/test_package.sh BUILD_DIR SOURCE_DIR - the Debian package.
# Owns: building the .deb from an existing build with its CPack config
# (into a temp dir; cpack writes only install_manifest.txt in the build
# dir), checking its name, fields and contents, running lintian against
# lintian-allow.txt; then,
# as root only, installing it with dpkg, checking what it installed
# (/usr/bin/flusso, the man page, the unit, completions, monitoring
# files) and removing and purging it, with nothing left behind.
# Not: building flusso (ctest runs after the build), the files' contents.
# Exit 77 (ctest SKIP) when not root or when a flusso is already
# installed: the machine is left as it was found.
set -euo pipefail

build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
fail=0
say() { printf 'test_package: %s\n' "$*"; }
bad() {
	say "FAIL: $*"
	fail=1
}
for t in cpack dpkg-deb dpkg-shlibdeps lintian; do
	command -v "$t" >/dev/null || {
		say "FAIL: $t not found (tests/deps.sh installs it)"
		exit 1
	}
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flusso-pkg.XXXXXX")
installed=0
cleanup() {
	if [ $installed = 1 ]; then run_dpkg -P flusso || cat "$tmp/dpkg.log"; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- build the package
t0=$(date +%s)
if ! cpack --config "$build/CPackConfig.cmake" -B "$tmp" >"$tmp/cpack.log" 2>&1; then
	cat "$tmp/cpack.log"
	say "FAIL: cpack"
	exit 1
fi
ver=$("$build/flusso" --version | head -1 | sed 's/^flusso //')
arch=$(dpkg --print-architecture)
deb=$tmp/flusso_${ver}_${arch}.deb
[ -f "$deb" ] || {
	ls "$tmp"
	say "FAIL: no $deb"
	exit 1
}
say "built $(basename "$deb") in $(($(date +%s) - t0)) s"

# ---- control fields
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = flusso ] || bad "Package: $(field Package)"
[ "$(field Version)" = "$ver" ] || bad "Version $(field Version), binary says $ver"
[ "$(field Architecture)" = "$arch" ] || bad "Architecture: $(field Architecture)"
[ "$(field Section)" = database ] || bad "Section: $(field Section)"
[ "$(field Priority)" = optional ] || bad "Priority: $(field Priority)"
[ -n "$(field Maintainer)" ] || bad "no Maintainer"
# Depends from dpkg-shlibdeps: the libraries the binary links
for lib in libc6 libpq5 libcurl4 libcjson1 libyaml-0-2 libmicrohttpd12 libncursesw6 libreadline8; do
	field Depends | grep -q "\\b$lib\\b" || bad "Depends lacks $lib: $(field Depends)"
done

# ---- contents
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/contents"
want=(/usr/bin/flusso /usr/share/man/man1/flusso.1.gz
	/usr/share/doc/flusso/copyright /usr/share/doc/flusso/changelog.gz
	/usr/share/doc/flusso/examples/shop/flusso.yml)
[ -f "$src/share/systemd/flusso.service" ] && want+=(/lib/systemd/system/flusso.service)
for f in flusso-dashboard.json flusso-alerts.yml; do
	[ -f "$src/share/monitoring/$f" ] && want+=("/usr/share/flusso/monitoring/$f")
done
completions=0
grep -q '^FLUSSO_COMPLETIONS:BOOL=ON$' "$build/CMakeCache.txt" && completions=1
[ $completions = 1 ] && want+=(/usr/share/bash-completion/completions/flusso
	/usr/share/zsh/vendor-completions/_flusso)
for f in "${want[@]}"; do
	grep -qx -- "$f" "$tmp/contents" || bad "the package lacks $f"
done
say "contents: $(grep -vc '/$' "$tmp/contents") files; checked ${#want[@]}"

# ---- lintian: every tag fixed or allowed with a reason
allow=()
while read -r tag why; do
	case $tag in '' | '#'*) continue ;; esac
	[ -n "$why" ] || bad "lintian-allow.txt: $tag has no reason"
	allow+=("$tag")
done <"$(dirname "$0")/lintian-allow.txt"
rc=0
lintian --display-info "$deb" >"$tmp/lintian" 2>"$tmp/lintian.err" || rc=$?
if [ $rc -gt 1 ]; then
	cat "$tmp/lintian" "$tmp/lintian.err"
	bad "lintian failed to run (exit $rc)"
fi
ntags=0
while read -r kind _ tag rest; do
	case $kind in E: | W: | I:) ;; *) continue ;; esac
	ntags=$((ntags + 1))
	ok=0
	for a in "${allow[@]}"; do [ "$a" = "$tag" ] && ok=1; done
	if [ $ok = 1 ]; then
		say "lintian: allowed $kind $tag $rest"
	else
		bad "lintian: $kind $tag $rest"
	fi
done <"$tmp/lintian"
say "lintian: $ntags tags, exit $rc"

# ---- install, check, remove, purge (root only)
if [ "$(id -u)" != 0 ]; then
	say "SKIP: not root, dpkg -i/-r not tried (lintian and contents: $([ $fail = 0 ] && echo ok || echo FAILED))"
	[ $fail = 0 ] && exit 77
	exit 1
fi
# dpkg's state of flusso: "" or "un" when unknown, "ii", "rc", ...
state() { dpkg-query -W -f='${db:Status-Abbrev}' flusso 2>/dev/null | tr -d ' ' || true; }
case $(state) in
'' | un) ;;
*)
	say "SKIP: dpkg knows a flusso package ($(state)); left alone"
	[ $fail = 0 ] && exit 77
	exit 1
	;;
esac
for f in "${want[@]}"; do
	if [ -e "$f" ]; then
		say "SKIP: $f exists and no package owns it; left alone"
		[ $fail = 0 ] && exit 77
		exit 1
	fi
done

# dpkg ARGS...: waits up to 60 s for another dpkg or apt to let go of
# the lock; output in $tmp/dpkg.log.
run_dpkg() {
	local i
	for i in $(seq 30); do
		dpkg "$@" >"$tmp/dpkg.log" 2>&1 && return 0
		grep -q 'lock' "$tmp/dpkg.log" || return 1
		sleep 2
	done
	return 1
}

# --path-include: slim images exclude /usr/share/man and /usr/share/doc
# from every package (dpkg.cfg.d); this package's files are the test.
installed=1
if ! run_dpkg -i --path-include='/usr/share/man/man1/flusso.1.gz' \
	--path-include='/usr/share/doc/flusso/*' "$deb"; then
	cat "$tmp/dpkg.log"
	bad "dpkg -i"
	exit 1
fi
got=$(/usr/bin/flusso version 2>&1 | head -1)
[ "$got" = "flusso $ver" ] || bad "/usr/bin/flusso version says: $got"
page=$(man -w flusso 2>&1) || true
[ "$page" = /usr/share/man/man1/flusso.1.gz ] || bad "man -w flusso: $page"
for f in "${want[@]}"; do
	[ -f "$f" ] || bad "installed package lacks $f"
done
dpkg -L flusso >"$tmp/owned"
say "installed: $(wc -l <"$tmp/owned") paths; man -w: $page"

run_dpkg -r flusso || {
	cat "$tmp/dpkg.log"
	bad "dpkg -r"
}
while read -r p; do
	# directories shared with other packages stay; ours must go
	[ -d "$p" ] && continue # /lib is a symlink to /usr/lib
	if [ -e "$p" ] || [ -L "$p" ]; then bad "left after dpkg -r: $p"; fi
done <"$tmp/owned"
for d in /usr/share/doc/flusso /usr/share/flusso; do
	[ -e "$d" ] && bad "left after dpkg -r: $d"
done
run_dpkg -P flusso || {
	cat "$tmp/dpkg.log"
	bad "dpkg -P"
}
installed=0
case $(state) in
'' | un) ;;
*) bad "dpkg still knows flusso after -P: $(state)" ;;
esac
say "removed and purged in $(($(date +%s) - t0)) s total"

[ $fail = 0 ] && say PASS
exit $fail
