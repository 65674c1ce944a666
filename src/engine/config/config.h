/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config.h - the deployment file `flusso.yml` (config.md §2) and the
 * schemas it names: the whole loaded configuration.
 *
 * Owns: loading flusso.yml strictly, loading each index's schema relative
 * to the file's directory, the load-time range checks, prefix and name
 * validation, flag/env overrides of the prefix, secret references (kept
 * unresolved until runtime) and their redaction.
 * Does not own: resolving secrets against the environment (runtime,
 * fl_config_resolve_* below, called by run/tui/online check).
 */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include <stddef.h>

#include "config/schema.h"
#include "util/diagnostics.h"
#include "util/err.h"

/* A string that may be a literal or an {env: VAR} reference. */
enum fl_secret_kind {
	FL_SECRET_NONE,
	FL_SECRET_LITERAL,
	FL_SECRET_ENV,
};

struct fl_secret {
	enum fl_secret_kind kind;
	char *value; /* literal text, or the variable name */
};

enum fl_conn_kind {
	FL_CONN_NONE,  /* omitted: DATABASE_URL at runtime */
	FL_CONN_URL,   /* literal URL string */
	FL_CONN_ENV,   /* {env: VAR} */
	FL_CONN_PARTS, /* host/port/user/password/database */
};

struct fl_source {
	enum fl_conn_kind conn;
	char *url;     /* FL_CONN_URL */
	char *url_env; /* FL_CONN_ENV: variable name */
	char *host;    /* parts, defaulted */
	long port;
	char *user;
	struct fl_secret password;
	char *database;
	int manage_publication; /* from the file; default 1 */
};

enum fl_sink_type {
	FL_SINK_OPENSEARCH,
	FL_SINK_STDOUT,
};

enum fl_text_analysis {
	FL_ANALYSIS_BUILTIN,
	FL_ANALYSIS_ICU,
};

/* How an OpenSearch sink authenticates (config_os_auth.c). */
enum fl_sink_auth {
	FL_AUTH_NONE,
	FL_AUTH_BASIC, /* username/password; the default with a username */
	FL_AUTH_SIGV4, /* AWS SigV4 with the AWS_* environment credentials */
};

/* Defaults of two sink keys, the only place they are set; a build may
 * change them (-D) for A/B runs. A sink config built by hand (tests)
 * may say -1 for either: the default. */
#ifndef FL_CFG_REFRESH_PERIOD_MS
#define FL_CFG_REFRESH_PERIOD_MS 200
#endif
#ifndef FL_CFG_SKIP_IDENTICAL_IDS
#define FL_CFG_SKIP_IDENTICAL_IDS 16384
#endif

struct fl_sink_cfg {
	char *name; /* lowercased; config sorted by name */
	enum fl_sink_type type;
	/* opensearch */
	struct fl_secret url;
	struct fl_secret username;
	struct fl_secret password;
	int tls_verify;
	long batch_size;
	long max_bytes;
	long timeout_secs;
	long max_retries;
	char *pipeline;
	long number_of_shards;
	long number_of_replicas;
	char *refresh_interval;
	long refresh_period_ms; /* the shared refresher's period; 0: each
	                            caught-up flush refreshes (opensearch_refresh.c) */
	long
	    skip_identical_ids; /* seen cache, ids per index and writer; 0 off */
	enum fl_text_analysis text_analysis;
	int auto_subfields;
	char *ca_file;     /* resolved against the config directory */
	char *client_cert; /* with client_key: mutual TLS */
	char *client_key;
	enum fl_sink_auth auth;
	char *region;  /* aws_sigv4 */
	char *service; /* aws_sigv4: es (default) or aoss */
	/* stdout */
	int pretty;
};

enum fl_policy {
	FL_POLICY_UNSET = -1,
	FL_POLICY_STOP = 0,
	FL_POLICY_SKIP = 1,
};

struct fl_index_cfg {
	char *name;        /* logical index name; config sorted by name */
	char *schema_path; /* as written */
	char *schema_file; /* resolved against the config directory */
	int enabled;
	enum fl_policy on_error; /* FL_POLICY_UNSET: the global one */
	struct fl_schema *schema;
	struct fl_pos at;
};

/* One entry of `groups:` (config_group.h): the indexes one instance
 * runs, with its own slot and publication. */
struct fl_group_cfg {
	char *name;              /* the map key; a valid slot-name part */
	char **indexes;          /* normalised index names, as listed */
	struct fl_pos *index_at; /* where each is written */
	size_t nindexes;
	char *slot_set, *pub_set; /* as written; NULL: derived */
	char *slot, *publication; /* effective (fl_config_select) */
	struct fl_pos at;
};

/* Which hash names the OpenSearch objects (config.md §6.1): ours (16 hex,
 * the default) or the reference's (8 hex, its typed query clients' names). */
enum fl_index_naming {
	FL_NAMING_OURS = 0,
	FL_NAMING_REFERENCE = 1,
};

struct fl_config {
	char *path; /* as given */
	char *dir;  /* its directory */
	struct fl_source source;
	struct fl_sink_cfg *sinks;
	size_t nsinks;
	struct fl_index_cfg *indexes;
	size_t nindexes;
	enum fl_policy on_error;
	char *prefix;                /* effective (after overrides) */
	char *public_address;        /* from the file, or NULL */
	char *private_address;       /* from the file, or NULL */
	enum fl_index_naming naming; /* `index_naming`, after overrides */
	int toml;                    /* read from a flusso.toml (toml_doc.c) */
	struct fl_group_cfg *groups; /* `groups:`, sorted by name */
	size_t ngroups;
	/* The selection (fl_config_select): indexes holds only the selected
	 * ones; group is the selected group (NULL: none, or --indexes);
	 * slot and publication are the effective names (NULL before). */
	char *group;
	char *slot, *publication;
};

/*
 * Load flusso.yml (or a flusso.toml: a path ending in .toml is read as
 * TOML; a missing flusso.yml with a flusso.toml beside it reads that)
 * and every schema it names. All problems (of the config
 * file and of every schema) go into `diags`; returns NULL when there was
 * at least one error. `prefix_override` (flag or env), when not NULL,
 * replaces the file's prefix and is validated the same way.
 */
struct fl_config *fl_config_load(const char *path, const char *prefix_override,
                                 struct fl_diags *diags);
void fl_config_free(struct fl_config *c);

/* "ours" or "reference" (case-insensitive); -1 when neither. */
int fl_config_parse_naming(const char *s, enum fl_index_naming *out);
/* Apply --index-naming / FLUSSO_INDEX_NAMING (NULL: keep the file's);
 * -1 with an error in diags when the value is not a naming. */
int fl_config_override_naming(struct fl_config *c, const char *v,
                              struct fl_diags *diags);
/* The hash in the index's OpenSearch names under c->naming: 16 hex
 * digits (schema_hash.h) or the reference's 8 (schema_hash_ref.h). */
void fl_config_index_hash(const struct fl_config *c,
                          const struct fl_index_cfg *ix, char out[17]);
/* Parse a deployment file into a document tree: TOML when the path ends
 * in .toml, else YAML. NULL with err filled on failure. */
struct fl_ydoc;
struct fl_ydoc *fl_config_read_doc(const char *path, struct fl_err *err);

/* Validate an index prefix (config.md §2.6); NULL if valid, else a
 * static-ish message written into buf. */
const char *fl_config_check_prefix(const char *prefix, char *buf, size_t n);
/* Validate a slot or publication name (config.md §1.1). */
int fl_config_check_slot_name(const char *name);

/* The index named `name` (enabled or not), or NULL. */
const struct fl_index_cfg *fl_config_index(const struct fl_config *c,
                                           const char *name);

/* Effective failure policy of an index. */
enum fl_policy fl_config_policy(const struct fl_config *c,
                                const struct fl_index_cfg *ix);

/* A secret as it may be shown: "***", "${VAR}", or "" when none. */
const char *fl_secret_redacted(const struct fl_secret *s, char *buf, size_t n);

/*
 * Runtime: the libpq conninfo for the source (config.md §2.8 precedence),
 * caller frees. Parts are assembled as keyword=value pairs with quoting,
 * so any password works.
 */
char *fl_config_source_conninfo(const struct fl_config *c, struct fl_err *err);
/* Runtime: resolve a sink secret with the <SINK>_OPENSEARCH_<WHAT> override
 * (what = "URL", "USERNAME", "PASSWORD"); NULL value when none. */
int fl_config_sink_secret(const struct fl_sink_cfg *s, const char *what,
                          char **out, struct fl_err *err);

#endif
