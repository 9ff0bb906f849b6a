/* config — the user's config.json (DESIGN.md §4).
 *
 * JSON with // and block comments (and trailing commas are NOT allowed: the
 * error names them). A missing file means defaults. A broken file gives one
 * error naming the file, the problem and the line:column, never a crash.
 * Unknown keys are not fatal: each is reported by its dotted name in
 * config->warnings so the caller can show them. The struct is plain data;
 * nobody outside config.c sees cJSON. */
#ifndef AIWB_CONFIG_H
#define AIWB_CONFIG_H

#include <stddef.h>

#include "base/err.h"

struct config_provider {
	char *name;        /* "openai", "vllm", ... */
	char *type;        /* "openai", "anthropic", "bedrock", "ollama" */
	char *base_url;    /* may be NULL */
	char *api_key_env; /* name of the variable holding the key; may be NULL */
	char *region;      /* bedrock; may be NULL */
	char *profile;     /* bedrock; may be NULL */
	int allow_http;    /* explicit opt-in for plain http to a non-loopback host */
};

struct config_price {
	char *model;      /* PROVIDER/MODEL */
	double input;     /* USD per 1M input tokens */
	double output;    /* USD per 1M output tokens */
	int context;      /* tokens; 0 when not given */
};

struct config_key {
	char *action; /* action name from the key table */
	char *key;    /* key spec, e.g. "j", "C-n", "F5" */
};

struct config_guard_pattern {
	char *name;  /* shown, and the mask: [NAME] */
	char *regex; /* PCRE2 */
};

/* "alerts": {"RULE": {"jobs": "GLOB", "exec": "CMD"}} (docs/jobs.md). */
struct config_alert {
	char *rule;  /* as written: "loss is nan", "no progress 10m", ... */
	char *jobs;  /* a glob over a job's SOURCE:ID and its name; NULL: every job */
	char *exec;  /* run by /bin/sh -c when it fires; NULL: none */
};

/* The schema of the plain keys: section, key, type, field of struct config,
 * default, range (INT) or choices (CHOICE: a NULL-terminated list in
 * config.c), and what it means. A new key is one line here; config.c reads,
 * checks, defaults and frees it from this table, and a key not in it (nor
 * among the structured ones: providers, keys, prices, guard lists) is
 * reported by name and line. */
#define CONFIG_KEYS(X)                                                                                        \
	X("log", "level", CHOICE, log_level, 0, "info", 0, 0, log_levels,                                     \
	  "debug, info, warn or error")                                                                       \
	X("log", "max_kb", INT, log_max_kb, 1024, NULL, 16, 1048576, NULL, "log rotation cap in KiB")         \
	X("network", "connect_timeout_s", INT, connect_timeout_s, 0, NULL, 1, 600, NULL,                      \
	  "0: built-in (10 s)")                                                                               \
	X("network", "idle_timeout_s", INT, idle_timeout_s, 0, NULL, 1, 3600, NULL,                           \
	  "no byte for this long ends a call; 0: built-in (60 s)")                                            \
	X("network", "ca_bundle", STRING, ca_bundle, 0, NULL, 0, 0, NULL, "PEM file of trusted roots, or NULL") \
	X("kb", "top_k", INT, kb_top_k, 5, NULL, 1, 1000, NULL, "results of a knowledge-base search")          \
	X("kb", "mode", CHOICE, kb_mode, 0, "hybrid", 0, 0, kb_modes, "bm25, vector or hybrid")               \
	X("kb", "max_cost_usd", NUMBER, kb_max_cost_usd, 1, NULL, 0, 1000000, NULL,                            \
	  "embedding a KB's chunks could cost more: ask first (USD at catalog prices)")                      \
	X("kb", "rerank", STRING, kb_rerank, 0, NULL, 0, 0, NULL,                                              \
	  "the Knowledge pane's rerank model: bedrock:MODEL_ID or llm:PROVIDER/MODEL, or NULL")                 \
	X("experiment", "max_cost_usd", NUMBER, experiment_max_cost_usd, 1, NULL, 0, 1000000, NULL,            \
	  "an experiment that could cost more asks first (USD at catalog prices)")                           \
	X("guard", "action", CHOICE, guard_action, 0, "off", 0, 0, guard_actions,                             \
	  "off, report, mask, block or bedrock:ID:VERSION (docs/guard.md)")                                                       \
	X("slurm", "rest_url", STRING, slurm_rest_url, 0, NULL, 0, 0, NULL,                                    \
	  "read Slurm jobs through slurmrestd: unix:/path.sock or https://host:port (SLURM_JWT)")              \
	X("slurm", "ssh", STRING, slurm_ssh, 0, NULL, 0, 0, NULL,                                              \
	  "user@login-node: run Slurm's commands and read job logs through OpenSSH")                           \
	X("slurm", "ssh_config", STRING, slurm_ssh_config, 0, NULL, 0, 0, NULL,                                \
	  "an ssh config file used instead of ~/.ssh/config (ssh -F)") \
	X("ui", "mouse", CHOICE, ui_mouse, 0, "on", 0, 0, on_off,                                            \
	  "on: the wheel scrolls and a click focuses in the workbench; off leaves the mouse to the terminal")

#define CONFIG_CTYPE_INT int
#define CONFIG_CTYPE_NUMBER double
#define CONFIG_CTYPE_STRING char *
#define CONFIG_CTYPE_CHOICE char *

struct config {
	char *path;           /* file it was read from, NULL when defaults */
	int found;            /* 1 when the file existed */
	char *theme;          /* NULL: default */
	char *default_model;  /* PROVIDER/MODEL or NULL */
	struct config_provider *providers;
	size_t nproviders;
	struct config_key *keys;
	size_t nkeys;
	struct config_price *prices; /* "prices": user overrides of the model catalog */
	size_t nprices;
#define CONFIG_FIELD(section, key, type, field, idef, sdef, min, max, choices, help) CONFIG_CTYPE_##type field;
	CONFIG_KEYS(CONFIG_FIELD)
#undef CONFIG_FIELD
	char **guard_denied_words;
	size_t nguard_denied_words;
	struct config_guard_pattern *guard_patterns;
	size_t nguard_patterns;
	struct config_alert *alerts;
	size_t nalerts;
	char **warnings;      /* "unknown key 'x.y' in /path/config.json:3" ... */
	size_t nwarnings;
};

/* Both load and parse overwrite *c without freeing it (free a loaded config
 * first); config_free zeroes the struct and is safe twice. On success parse
 * sets path to the name and found = 1; on -1 the struct holds exactly the
 * defaults. A missing file gives defaults; a broken symlink or a parent that
 * is a file is an error. */
/* Fills defaults, then reads path (NULL: path_config_file()). Returns 0, or -1
 * with e set ("/home/u/.config/aiwb/config.json:4:12: expected ',' or '}'").
 * On -1 the struct still holds defaults and must be freed. */
int config_load(struct config *c, const char *path, struct err *e);
void config_free(struct config *c);
/* Parses from memory (name is used in messages). */
int config_parse(struct config *c, const char *name, const char *text, size_t len, struct err *e);

#endif
