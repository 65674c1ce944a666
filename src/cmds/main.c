/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c - process entry: ignore SIGPIPE (writes report EPIPE instead),
 * cap malloc arenas and fix their thresholds, and hand argv to the command table.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cmd.h"

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
#ifdef __GLIBC__
	/* Threads mostly wait on PostgreSQL and OpenSearch (flusso spends
	 * 0.026 CPU-s per 1,000 live changes): one malloc arena serves them
	 * and keeps the other arenas' slack out of the steady RSS
	 * (tests/bench: any -> 2 arenas 19.4 -> 17.2 MB in round 1; 2 -> 1
	 * arena 23.2 -> 20.7 MB on the live ladder in round 2, same rate).
	 * MALLOC_ARENA_MAX in the environment still decides. */
	const char *tun = getenv("GLIBC_TUNABLES");

	if (!getenv("MALLOC_ARENA_MAX") &&
	    !(tun && strstr(tun, "glibc.malloc.arena_max")))
		mallopt(M_ARENA_MAX, 1);
	/* Fixed thresholds: glibc raises its mmap threshold to the largest
	 * buffer freed (bulk bodies and responses, 0.2-2 MB) and its trim
	 * threshold to twice that, so each arena kept up to 4 MB of freed
	 * heap at its top. Buffers over 128 KB are mapped and unmapped
	 * instead (a few page faults per bulk request); tests/bench: steady
	 * RSS 20.9 -> 19.6 MB, peak 23.9 -> 22.1 MB at 1,000 changes/s.
	 * The environment (MALLOC_*_THRESHOLD_, GLIBC_TUNABLES) still
	 * decides. */
	if (!getenv("MALLOC_MMAP_THRESHOLD_") &&
	    !(tun && strstr(tun, "glibc.malloc.mmap_threshold")))
		mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	if (!getenv("MALLOC_TRIM_THRESHOLD_") &&
	    !(tun && strstr(tun, "glibc.malloc.trim_threshold")))
		mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif
	return fl_cmd_main(argc, argv);
}
