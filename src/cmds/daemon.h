/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * daemon.h - the in-process runtime shared by `flusso run` and the
 * in-process `flusso tui`: configuration from flags/env/file, the status
 * board, the engine, and the two HTTP listeners.
 *
 * Owns: turning parsed options into engine options (flag > env > file >
 * default), the admin password rules (no default: without one the admin
 * API does not start), binding the listeners before the engine starts.
 */
#ifndef FL_DAEMON_H
#define FL_DAEMON_H

#include "cmd.h"
#include "config/config.h"
#include "core/commands.h"
#include "core/engine.h"
#include "core/http_server.h"
#include "core/status_board.h"

struct fl_daemon {
	struct fl_config *cfg;
	struct fl_board *board;
	struct fl_engine *engine;
	struct fl_httpd *pub, *priv;
	struct fl_ctl_local local;
	char *admin_password;
	const char *admin_user;
	char *public_address, *private_address;
	char *config_path, *prefix_override; /* for `reload` */
	char *naming_override;               /* for `reload` */
	char *sel_group, *sel_indexes;       /* for `reload` */
	char *base_slot, *base_publication;  /* for `reload` */
	char *slot, *publication; /* effective (the selection), fixed */
	int started;
};

/*
 * Load the configuration and build everything; with_http binds the
 * listeners. Returns FL_EXIT_OK, or an exit code after printing why.
 * The engine is created but not started.
 */
int fl_daemon_open(struct fl_cmd_ctx *ctx, struct fl_daemon *d, int with_http);
/* Start the engine thread. */
int fl_daemon_start(struct fl_daemon *d);
/* Stop HTTP, wait for the engine, free. Returns the engine's exit code. */
int fl_daemon_close(struct fl_daemon *d);

#endif
