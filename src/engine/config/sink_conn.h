/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sink_conn.h - everything an HTTP client toward one OpenSearch sink
 * needs, resolved at runtime from its configuration: URL and Basic auth
 * (with their environment overrides), TLS files, and the AWS SigV4
 * identity from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN.
 *
 * Every place that opens a client toward OpenSearch (the sink, verify,
 * inspect and the other debug commands, check) goes through
 * fl_sink_conn_init, so they all get the same TLS and auth settings.
 * Owns: that resolution. Does not own: the transport (util/http_client.c)
 * or the load-time checks (config_os_auth.c).
 */
#ifndef FL_SINK_CONN_H
#define FL_SINK_CONN_H

#include "config/config.h"
#include "util/err.h"
#include "util/http_client.h"
#include "util/node_pool.h"
#include "util/sigv4.h"

struct fl_sink_conn {
	/* Ready for fl_http_new (timeout from the config, parallel 1;
	 * callers may change both). Points into this struct: copies of it
	 * are valid only while the struct lives and does not move. */
	struct fl_http_cfg http;
	struct fl_sigv4 sigv4;
	char *url; /* trailing '/' removed; may be a comma-separated list */
	/* the nodes of url (one or more); http.pool points at it and
	 * http.url at its first node. Shared by every client made from
	 * http, so they all skip the same nodes that are down. */
	struct fl_node_pool *pool;
	char *username, *password;
	char *ca_file, *client_cert, *client_key; /* copies of the config's */
	char *region, *service;
	char *aws_key, *aws_secret, *aws_token;
};

/* Resolve sink s into c. -1 with err (FL_ERR_CONFIG) when the sink has no
 * url, an {env: VAR} is unset, the node list has an empty item, or
 * aws_sigv4 lacks its credentials. The url (file, {env: VAR} or the
 * <SINK>_OPENSEARCH_URL override) may list several nodes separated by
 * commas (a YAML list in the file is kept that way). */
int fl_sink_conn_init(struct fl_sink_conn *c, const struct fl_sink_cfg *s,
                      struct fl_err *err);
void fl_sink_conn_done(struct fl_sink_conn *c);

#endif
