/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config_os_auth.h - the TLS and authentication keys of an OpenSearch
 * sink in flusso.yml: ca_file, client_cert, client_key, auth, region,
 * service (config.md §2.1).
 *
 * Owns: reading them, resolving the paths against the config directory,
 * and the load-time checks (files readable, cert and key together,
 * aws_sigv4 needs region and no username/password). Does not own:
 * credentials (read at runtime, config/sink_conn.c).
 */
#ifndef FL_CONFIG_OS_AUTH_H
#define FL_CONFIG_OS_AUTH_H

#include "config/config.h"
#include "config/yaml_read.h"

/* Read the keys of sink mapping m into s; paths are joined to dir.
 * Returns 0, or -1 after reporting every error. */
int fl_config_os_auth(struct fl_yread *r, const struct fl_ynode *m,
                      const char *dir, struct fl_sink_cfg *s);

/* Free what fl_config_os_auth stored in s. */
void fl_config_os_auth_done(struct fl_sink_cfg *s);

#endif
