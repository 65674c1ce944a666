# SPDX-License-Identifier: GPL-3.0-or-later
# free_port.sh - free_port (sourced by bash test and bench scripts): prints
# a loopback TCP port nobody listens on, picked at random below the
# ephemeral range (32768-), so a port the kernel hands out to a client
# never collides with it. Owns nothing else.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
