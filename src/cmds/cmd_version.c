/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_version.c - `flusso version`: our version and the versions of the
 * libraries this binary runs with (useful in bug reports).
 */
#include "cmd.h"
#include "tui.h"
#include "util/version.h"

static int
version_exec(struct fl_cmd_ctx *ctx)
{
	char libs[512];

	(void)ctx;
	printf("flusso %s\n", FLUSSO_VERSION);
	fl_version_libs(libs, sizeof(libs));
	printf("%s", libs);
	fl_tui_lib_versions(libs, sizeof(libs));
	printf("%s", libs);
	return FL_EXIT_OK;
}

const struct fl_cmd_entry fl_cmd_version_entry = {
	.name = "version",
	.usage = "",
	.summary = "Print the version and the library versions",
	.exec = version_exec,
};
