/* aiwb kb: knowledge bases — create, add, sync, list, show, search, eval. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "cli/kbcommon.h"
#include "config.h"
#include "guard/guard.h"
#include "kb/bedrockfilter.h"
#include "kb/bedrockkb.h"
#include "kb/embed.h"
#include "kb/eval.h"
#include "kb/evalrun.h"
#include "kb/ingest.h"
#include "kb/json.h"
#include "kb/label.h"
#include "kb/resync.h"
#include "kb/rerank.h"
#include "kb/search.h"
#include "kb/store.h"
#include "session.h"
#include "store/db.h"
#include "store/dbinfo.h"

#define CMD "kb"

static void on_signal(int sig)
{
	(void)sig;
	cli_kb_stop = 1;
}

static void catch_interrupts(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int parse_size(const char *opt, const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	double n = strtod(v, &end);
	int64_t mult = 1;
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mult = (int64_t)1024 * 1024 * 1024, end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (errno || end == v || *end || !(n > 0) || n * (double)mult > 1e15)
		return cli_usage_error(CMD, "%s must be a size such as 500K, 20M or 1G", opt);
	*out = (int64_t)(n * (double)mult);
	return 0;
}

/* ---- settings options shared by create and set */

enum { OPT_CHUNKER = 1000, OPT_CHUNK_TOKENS, OPT_OVERLAP, OPT_EMBED, OPT_EMBED_DIMS, OPT_WEIGHTS, OPT_MAX_FILE,
       OPT_JSON, OPT_INCLUDE, OPT_EXCLUDE, OPT_TEXT_FIELD, OPT_ID_FIELD, OPT_TITLE_FIELD, OPT_VERBOSE, OPT_BATCH,
       OPT_CHUNKS, OPT_MODE, OPT_FILTER, OPT_EXPLAIN, OPT_RERANK, OPT_QUERIES, OPT_MIN_NDCG, OPT_MIN_MRR,
       OPT_MIN_HIT, OPT_WATCH, OPT_RAW, OPT_TEXT, OPT_YES, OPT_MAX_COST, OPT_MMR_LAMBDA, OPT_HYBRID_WEIGHTS,
       OPT_REGION, OPT_BEDROCK, OPT_REDACT };

static int settings_option(int c, const char *arg, struct kb_settings *s)
{
	long n;
	switch (c) {
	case OPT_CHUNKER:
		if (kb_chunker_parse(arg) < 0)
			return cli_usage_error(CMD, "--chunker must be fixed, markdown or sentence");
		s->chunker = (enum kb_chunker)kb_chunker_parse(arg);
		return 0;
	case OPT_CHUNK_TOKENS:
		if (cli_parse_long(CMD, "--chunk-tokens", arg, KB_CHUNK_TOKENS_MIN, KB_CHUNK_TOKENS_MAX, &n))
			return 2;
		s->chunk_tokens = (int)n;
		return 0;
	case OPT_OVERLAP:
		if (cli_parse_long(CMD, "--overlap", arg, 0, KB_CHUNK_TOKENS_MAX / 2, &n))
			return 2;
		s->overlap = (int)n;
		return 0;
	case OPT_EMBED:
		if (!strchr(arg, '/') || strlen(arg) >= sizeof s->embed)
			return cli_usage_error(CMD, "--embed must name PROVIDER/MODEL, e.g. openai/text-embedding-3-small");
		snprintf(s->embed, sizeof s->embed, "%s", arg);
		return 0;
	case OPT_EMBED_DIMS:
		if (cli_parse_long(CMD, "--embed-dims", arg, 0, 8192, &n))
			return 2;
		s->embed_dims = (int)n;
		return 0;
	case OPT_WEIGHTS: {
		double t, h, x;
		char extra;
		if (sscanf(arg, "%lf,%lf,%lf%c", &t, &h, &x, &extra) != 3 || !(t >= 0) || !(h >= 0) || !(x >= 0) ||
		    t > 100 || h > 100 || x > 100)
			return cli_usage_error(CMD, "--weights must be TITLE,HEADING,TEXT numbers from 0 to 100, e.g. 2,1,1");
		s->w_title = t;
		s->w_heading = h;
		s->w_text = x;
		return 0;
	}
	case OPT_MAX_FILE:
		return parse_size("--max-file-size", arg, &s->max_file_bytes) ? 2 : 0;
	default:
		return -1;
	}
}

#define SETTINGS_LONGOPTS \
	{ "chunker", required_argument, NULL, OPT_CHUNKER }, \
	{ "chunk-tokens", required_argument, NULL, OPT_CHUNK_TOKENS }, \
	{ "overlap", required_argument, NULL, OPT_OVERLAP }, \
	{ "embed", required_argument, NULL, OPT_EMBED }, \
	{ "embed-dims", required_argument, NULL, OPT_EMBED_DIMS }, \
	{ "weights", required_argument, NULL, OPT_WEIGHTS }, \
	{ "max-file-size", required_argument, NULL, OPT_MAX_FILE }

static int check_overlap(const struct kb_settings *s)
{
	if (s->overlap > s->chunk_tokens / 2)
		return cli_usage_error(CMD, "--overlap (%d) must be at most half of --chunk-tokens (%d)", s->overlap,
				       s->chunk_tokens);
	struct err de = ERR_INIT;
	if (s->embed_dims && !s->embed[0])
		return cli_usage_error(CMD, "--embed-dims goes with an embedding model (--embed PROVIDER/MODEL)");
	if (s->embed_dims && kb_embed_dims_check(s->embed, s->embed_dims, &de) < 0)
		return cli_usage_error(CMD, "%s", de.msg);
	if (s->embed[0] && s->chunk_tokens > kb_embed_input_limit(s->embed))
		return cli_usage_error(CMD, "%s embeds at most %d tokens at once; use --chunk-tokens %d or fewer",
				       s->embed, kb_embed_input_limit(s->embed), kb_embed_input_limit(s->embed));
	return 0;
}

static int kb_create(int argc, char **argv)
{
	static const struct option opts[] = { SETTINGS_LONGOPTS, { "redact", no_argument, NULL, OPT_REDACT },
					      { NULL, 0, NULL, 0 } };
	struct kb_settings s;
	kb_settings_default(&s);
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == '?')
			return cli_usage_error(CMD, "unknown option in kb create");
		if (c == OPT_REDACT) {
			s.redact = 1;
			continue;
		}
		int rc = settings_option(c, optarg, &s);
		if (rc)
			return 2;
	}
	if (argc - optind != 1)
		return cli_usage_error(CMD, "kb create takes one NAME");
	const char *name = argv[optind];
	if (!kb_name_valid(name))
		return cli_usage_error(CMD, "a knowledge base name is 1 to %d letters, digits, '_', '.' or '-' "
				       "(not starting with '.' or '-')", KB_NAME_MAX);
	if (check_overlap(&s))
		return 2;
	struct err e = ERR_INIT;
	int missing;
	struct db *db = session_writable_db(1, &missing, &e);
	if (!db)
		return cli_fail(CMD, "%s", e.msg);
	int rc = kb_store_create(db, name, &s, &e);
	db_close(db);
	if (rc < 0)
		return cli_fail(CMD, "%s", e.msg);
	printf("Created knowledge base %s (chunker %s, %d tokens, overlap %d%s). Add documents with 'aiwb kb add %s PATH...'.\n",
	       name, kb_chunker_name(s.chunker), s.chunk_tokens, s.overlap, s.redact ? ", redacted" : "", name);
	return 0;
}

static int kb_set(int argc, char **argv)
{
	static const struct option opts[] = { SETTINGS_LONGOPTS, { "redact", required_argument, NULL, OPT_REDACT },
					      { NULL, 0, NULL, 0 } };
	int codes[32];
	const char *args[32];
	int nchanges = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == '?')
			return cli_usage_error(CMD, "unknown option in kb set");
		if (nchanges == 32)
			return cli_usage_error(CMD, "too many options for kb set");
		codes[nchanges] = c;
		args[nchanges++] = optarg;
	}
	if (argc - optind != 1)
		return cli_usage_error(CMD, "kb set takes one NAME and the settings to change");
	if (!nchanges)
		return cli_usage_error(CMD, "kb set needs a setting to change, e.g. --chunker sentence");
	struct kb kb;
	int status = 0;
	struct db *db = cli_kb_open_local(argv[optind], 1, &kb, &status, "kb set");
	if (!db)
		return status;
	struct kb_settings s = kb.set;
	int rc = 0;
	for (int i = 0; i < nchanges && rc == 0; i++) {
		if (codes[i] != OPT_REDACT)
			rc = settings_option(codes[i], args[i], &s) ? 2 : 0;
		else if (strcmp(args[i], "on") == 0 || strcmp(args[i], "off") == 0)
			s.redact = strcmp(args[i], "on") == 0;
		else
			rc = cli_usage_error(CMD, "--redact must be on or off");
	}
	if (rc == 0)
		rc = check_overlap(&s);
	struct err e = ERR_INIT;
	if (rc == 0 && kb_store_set_settings(db, kb.id, &s, &e) < 0)
		rc = cli_fail(CMD, "%s", e.msg);
	db_close(db);
	if (rc == 0)
		printf("Updated %s; 'aiwb kb sync %s' re-chunks its documents with the new settings.\n", kb.name, kb.name);
	kb_free(&kb);
	return rc;
}

static int kb_check(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage_error(CMD, "kb check takes one NAME");
	struct kb kb;
	int status = 0;
	struct db *db = cli_kb_open_local(argv[1], 1, &kb, &status, "kb check"); /* FTS5's integrity-check is a write statement */
	if (!db)
		return status;
	struct err e = ERR_INIT;
	int rc = 0;
	if (dbinfo_quick_check(db, &e) < 0)
		rc = cli_fail(CMD, "the database %s is damaged (%s); restore it from a backup", db_path(db), e.msg);
	if (rc == 0 && kb_store_check(db, kb.id, &e) < 0)
		rc = cli_fail(CMD, "%s: %s", kb.name, e.msg);
	if (rc == 0)
		printf("%s is sound: %lld documents, %lld chunks, index in step.\n", kb.name, (long long)kb.docs,
		       (long long)kb.chunks);
	db_close(db);
	kb_free(&kb);
	return rc;
}

/* ---- Bedrock knowledge bases */

/* A session and a Bedrock client for region (NULL: the default); prints the error. */
static struct bedrockkb *bedrock_open(struct session *sess, const char *region, int *status)
{
	struct err e = ERR_INIT;
	if (cli_kb_embed_session(sess, &e) < 0) {
		*status = cli_fail(CMD, "%s", e.msg);
		return NULL;
	}
	struct bedrockkb *b = bedrockkb_new(&sess->cfg, region, &e);
	if (!b) {
		session_close(sess);
		*status = cli_fail(CMD, "%s", e.msg);
	}
	return b;
}

static int kb_attach(int argc, char **argv)
{
	static const struct option opts[] = { { "region", required_argument, NULL, OPT_REGION },
					      { "json", no_argument, NULL, OPT_JSON }, { NULL, 0, NULL, 0 } };
	const char *region = NULL;
	int json = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_REGION)
			region = optarg;
		else if (c == OPT_JSON)
			json = 1;
		else
			return cli_usage_error(CMD, "kb attach takes NAME bedrock:KNOWLEDGE_BASE_ID [--region R] [--json]");
	}
	if (argc - optind != 2)
		return cli_usage_error(CMD, "kb attach takes NAME and bedrock:KNOWLEDGE_BASE_ID");
	const char *name = argv[optind], *spec = argv[optind + 1];
	if (!kb_name_valid(name))
		return cli_usage_error(CMD, "a knowledge base name is 1 to %d letters, digits, '_', '.' or '-' "
				       "(not starting with '.' or '-')", KB_NAME_MAX);
	if (strncmp(spec, "bedrock:", 8) != 0)
		return cli_usage_error(CMD, "kb attach takes a source such as bedrock:KB12345678 (only Bedrock knowledge "
				       "bases can be attached)");
	const char *id = spec + 8;
	if (!bedrockkb_id_valid(id))
		return cli_usage_error(CMD, "'%s' is not a Bedrock knowledge base id (1 to 10 letters and digits, e.g. "
				       "bedrock:KB12345678)", id);
	if (region && (!*region || strlen(region) >= sizeof ((struct kb_settings *)0)->region ||
		       strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region)))
		return cli_usage_error(CMD, "--region must be an AWS region such as us-east-1");
	struct err e = ERR_INIT;
	int missing, status = 0;
	struct db *db = session_writable_db(1, &missing, &e);
	if (!db)
		return cli_fail(CMD, "%s", e.msg);
	struct kb existing;
	int found = kb_store_get(db, name, &existing, &e);
	if (found != 0) {
		db_close(db);
		if (found < 0)
			return cli_fail(CMD, "%s", e.msg);
		kb_free(&existing);
		return cli_fail(CMD, "a knowledge base named %s exists already; choose another name or 'aiwb kb rm %s'",
				name, name);
	}
	struct session sess;
	struct bedrockkb *b = bedrock_open(&sess, region, &status);
	if (!b) {
		db_close(db);
		return status;
	}
	struct bedrockkb_info info;
	int rc = bedrockkb_get(b, sess.loop, id, &info, &e);
	char used_region[32];
	snprintf(used_region, sizeof used_region, "%s", bedrockkb_region(b));
	bedrockkb_free(b);
	session_close(&sess);
	if (rc < 0) {
		db_close(db);
		return cli_fail(CMD, "cannot attach %s: %s", name, e.msg);
	}
	struct kb_settings set;
	kb_settings_default(&set);
	snprintf(set.source, sizeof set.source, "bedrock");
	snprintf(set.remote_id, sizeof set.remote_id, "%s", id);
	snprintf(set.region, sizeof set.region, "%s", used_region);
	rc = kb_store_create(db, name, &set, &e);
	db_close(db);
	if (rc < 0) {
		bedrockkb_info_free(&info);
		return cli_fail(CMD, "%s", e.msg);
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "kind", "bedrock");
		cJSON_AddStringToObject(o, "id", info.id);
		cJSON_AddStringToObject(o, "region", used_region);
		cJSON_AddStringToObject(o, "remote_name", info.name);
		cJSON_AddStringToObject(o, "status", info.status);
		cli_print_json(o);
	} else {
		char *rname = cli_flat(info.name), *rstatus = cli_flat(info.status);
		printf("Attached %s: Bedrock knowledge base %s \"%s\" (%s) in %s. Search it with 'aiwb kb search %s "
		       "QUERY' (modes vector and hybrid).\n", name, id, rname, rstatus, used_region, name);
		if (strcmp(info.status, "ACTIVE") != 0)
			fprintf(stderr, "aiwb kb: note: %s is %s, not ACTIVE; Retrieve may fail until it is\n", id, rstatus);
		free(rname);
		free(rstatus);
	}
	bedrockkb_info_free(&info);
	return 0;
}

/* kb ls --bedrock: the account's knowledge bases in the region. */
static int ls_bedrock(const char *region, int json, const struct kb *local, size_t nlocal)
{
	int status = 0;
	struct session sess;
	struct bedrockkb *b = bedrock_open(&sess, region, &status);
	if (!b)
		return status;
	struct bedrockkb_info *v = NULL;
	size_t n = 0;
	int pages = 0;
	struct err e = ERR_INIT;
	int rc = bedrockkb_list(b, sess.loop, &v, &n, &pages, &e);
	char used_region[32];
	snprintf(used_region, sizeof used_region, "%s", bedrockkb_region(b));
	bedrockkb_free(b);
	session_close(&sess);
	if (rc < 0)
		return cli_fail(CMD, "cannot list the Bedrock knowledge bases: %s", e.msg);
	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "region", used_region);
		cJSON_AddNumberToObject(root, "pages", pages);
		cJSON *a = cJSON_AddArrayToObject(root, "knowledge_bases");
		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", v[i].id);
			cJSON_AddStringToObject(o, "name", v[i].name);
			cJSON_AddStringToObject(o, "status", v[i].status);
			cJSON_AddStringToObject(o, "description", v[i].description);
			cJSON_AddStringToObject(o, "updated", v[i].updated);
			cJSON *att = cJSON_AddArrayToObject(o, "attached_as");
			for (size_t j = 0; j < nlocal; j++)
				if (kb_is_remote(&local[j]) && strcmp(local[j].set.remote_id, v[i].id) == 0 &&
				    strcmp(local[j].set.region, used_region) == 0)
					cJSON_AddItemToArray(att, cJSON_CreateString(local[j].name));
			cJSON_AddItemToArray(a, o);
		}
		cli_print_json(root);
	} else if (!n) {
		printf("The account has no Bedrock knowledge bases in %s.\n", used_region);
	} else {
		printf("%-12s %-30s %-10s %-19s  %s\n", "ID", "NAME", "STATUS", "UPDATED", "ATTACHED AS");
		for (size_t i = 0; i < n; i++) {
			char *id = cli_flat(v[i].id), *name = cli_flat(v[i].name), *st = cli_flat(v[i].status),
			     *up = cli_flat(v[i].updated);
			if (strlen(up) > 19 && up[10] == 'T') { /* 2026-11-30T10:00:00.000Z as 2026-11-30 10:00:00 */
				up[10] = ' ';
				up[19] = '\0';
			}
			struct buf att = BUF_INIT;
			for (size_t j = 0; j < nlocal; j++)
				if (kb_is_remote(&local[j]) && strcmp(local[j].set.remote_id, v[i].id) == 0 &&
				    strcmp(local[j].set.region, used_region) == 0)
					buf_printf(&att, "%s%s", att.len ? ", " : "", local[j].name);
			printf("%-12s %-30s %-10s %-19s  %s\n", id, name, st, up, att.len ? att.data : "-");
			buf_free(&att);
			free(id);
			free(name);
			free(st);
			free(up);
		}
		printf("%zu knowledge base%s in %s; attach one with 'aiwb kb attach NAME bedrock:ID --region %s'.\n", n,
		       n == 1 ? "" : "s", used_region, used_region);
	}
	bedrockkb_infos_free(v, n);
	return 0;
}

static int kb_ls(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, OPT_JSON },
					      { "bedrock", no_argument, NULL, OPT_BEDROCK },
					      { "region", required_argument, NULL, OPT_REGION },
					      { NULL, 0, NULL, 0 } };
	int json = 0, bedrock = 0, c;
	const char *region = NULL;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_JSON)
			json = 1;
		else if (c == OPT_BEDROCK)
			bedrock = 1;
		else if (c == OPT_REGION)
			region = optarg;
		else
			return cli_usage_error(CMD, "kb ls takes --json, and --bedrock [--region R]");
	}
	if (optind != argc)
		return cli_usage_error(CMD, "kb ls takes no arguments");
	if (region && !bedrock)
		return cli_usage_error(CMD, "--region goes with kb ls --bedrock");
	struct err e = ERR_INIT;
	int missing = 0;
	struct db *db = session_existing_db(&missing, &e);
	if (!db && !missing)
		return cli_fail(CMD, "%s", e.msg);
	struct kb *v = NULL;
	size_t n = 0;
	if (db && kb_store_list(db, &v, &n, &e) < 0) {
		db_close(db);
		return cli_fail(CMD, "%s", e.msg);
	}
	db_close(db);
	if (bedrock) {
		int rc = ls_bedrock(region, json, v, n);
		kb_list_free(v, n);
		return rc;
	}
	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON *a = cJSON_AddArrayToObject(root, "kbs");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(a, kb_json_kb(&v[i]));
		cli_print_json(root);
	} else if (!n) {
		printf("No knowledge bases yet; create one with 'aiwb kb create NAME' and fill it with 'aiwb kb add NAME PATH...'.\n");
	} else {
		printf("%-20s %6s %7s %10s  %-16s %-14s %-18s %s\n", "NAME", "DOCS", "CHUNKS", "SIZE", "CHUNKER", "EMBED",
		       "LAST SYNC", "KIND");
		for (size_t i = 0; i < n; i++) {
			if (kb_is_remote(&v[i])) {
				printf("%-20s %6s %7s %10s  %-16s %-14s %-18s %s %s %s\n", v[i].name, "-", "-", "-", "-", "-",
				       "-", v[i].set.source, v[i].set.remote_id, v[i].set.region);
				continue;
			}
			char size[32], when[32], chunker[32];
			kb_label_size(size, sizeof size, v[i].bytes);
			kb_label_synced(when, sizeof when, v[i].synced_ms);
			kb_label_chunker(chunker, sizeof chunker, &v[i].set);
			printf("%-20s %6lld %7lld %10s  %-16s %-14s %-18s %s\n", v[i].name, (long long)v[i].docs,
			       (long long)v[i].chunks, size, chunker, v[i].set.embed[0] ? v[i].set.embed : "-", when,
			       v[i].set.redact ? "local, redacted" : "local");
		}
	}
	kb_list_free(v, n);
	return 0;
}

static int kb_rm(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage_error(CMD, "kb rm takes one NAME");
	struct err e = ERR_INIT;
	int missing = 0;
	struct db *db = session_writable_db(0, &missing, &e);
	if (!db)
		return missing ? cli_fail(CMD, "there is no knowledge base named %s", argv[1]) : cli_fail(CMD, "%s", e.msg);
	int rc = kb_store_remove(db, argv[1], &e);
	db_close(db);
	if (rc < 0)
		return cli_fail(CMD, "%s", e.msg);
	if (rc == 0)
		return cli_fail(CMD, "there is no knowledge base named %s; 'aiwb kb ls' lists them", argv[1]);
	printf("Removed knowledge base %s (the files it was built from, or the Bedrock knowledge base it was attached "
	       "to, are untouched).\n", argv[1]);
	return 0;
}

static int kb_docs(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, OPT_JSON }, { NULL, 0, NULL, 0 } };
	int json = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != OPT_JSON)
			return cli_usage_error(CMD, "kb docs takes NAME and --json");
		json = 1;
	}
	if (argc - optind != 1)
		return cli_usage_error(CMD, "kb docs takes one NAME");
	struct kb kb;
	int status = 0;
	struct db *db = cli_kb_open_local(argv[optind], 0, &kb, &status, "kb docs");
	if (!db)
		return status;
	struct kb_doc_row *v;
	size_t n;
	struct err e = ERR_INIT;
	int rc = kb_store_docs(db, kb.id, &v, &n, &e);
	db_close(db);
	if (rc < 0) {
		kb_free(&kb);
		return cli_fail(CMD, "%s", e.msg);
	}
	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "kb", kb.name);
		cJSON *a = cJSON_AddArrayToObject(root, "documents");
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(a, kb_json_doc_row(&v[i]));
		cli_print_json(root);
	} else if (!n) {
		printf("%s holds no documents yet; add some with 'aiwb kb add %s PATH...'.\n", kb.name, kb.name);
	} else {
		printf("%-40s %-9s %9s %6s  %s\n", "DOCUMENT", "FORMAT", "BYTES", "CHUNKS", "TITLE");
		for (size_t i = 0; i < n; i++) {
			char *name = cli_flat(v[i].name), *title = cli_flat(v[i].title);
			printf("%-40s %-9s %9lld %6lld  %s\n", name, v[i].format, (long long)v[i].bytes,
			       (long long)v[i].chunks, title);
			free(name);
			free(title);
		}
	}
	kb_doc_rows_free(v, n);
	kb_free(&kb);
	return 0;
}

static int kb_show(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, OPT_JSON },
					      { "chunks", no_argument, NULL, OPT_CHUNKS },
					      { "raw", no_argument, NULL, OPT_RAW },
					      { NULL, 0, NULL, 0 } };
	int json = 0, chunks = 0, raw = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_JSON)
			json = 1;
		else if (c == OPT_CHUNKS)
			chunks = 1;
		else if (c == OPT_RAW)
			raw = 1;
		else
			return cli_usage_error(CMD, "kb show takes NAME DOC [--chunks] [--json] [--raw]");
	}
	if (argc - optind != 2)
		return cli_usage_error(CMD, "kb show takes NAME and DOC (a name 'aiwb kb docs NAME' lists)");
	struct kb kb;
	int status = 0;
	struct db *db = cli_kb_open_local(argv[optind], 0, &kb, &status, "kb show");
	if (!db)
		return status;
	struct kb_doc_row d;
	char *body = NULL;
	size_t len = 0, nc = 0;
	struct kb_chunk_row *cv = NULL;
	struct err e = ERR_INIT;
	int found = kb_store_doc(db, kb.id, argv[optind + 1], &d, &body, &len, &cv, &nc, &e);
	db_close(db);
	if (found <= 0) {
		kb_free(&kb);
		return found < 0 ? cli_fail(CMD, "%s", e.msg)
				 : cli_fail(CMD, "%s has no document %s; 'aiwb kb docs %s' lists them", argv[optind],
					    argv[optind + 1], argv[optind]);
	}
	if (json) {
		cli_print_json(kb_json_doc(kb.name, &d, body, cv, nc));
	} else {
		char *title = cli_flat(d.title), *name = cli_flat(d.name), *meta = cli_flat(d.meta);
		printf("document  %s\ntitle     %s\nformat    %s, %lld bytes, %zu chunks\nsha256    %s\nmetadata  %s\n",
		       name, title, d.format, (long long)d.bytes, nc, d.sha256, meta);
		free(title);
		free(name);
		free(meta);
		if (chunks) {
			for (size_t i = 0; i < nc; i++) {
				char *h = cli_flat(cv[i].heading);
				printf("\n--- chunk %d  bytes %zu-%zu  ~%d tokens%s%s ---\n", cv[i].seq, cv[i].start, cv[i].end,
				       cv[i].tokens, *h ? "  " : "", h);
				free(h);
				char *t = raw ? xstrndup(body + cv[i].start, cv[i].end - cv[i].start)
					      : sanitize_str(body + cv[i].start, cv[i].end - cv[i].start, 0);
				fputs(t, stdout);
				putchar('\n');
				free(t);
			}
		} else {
			char *t = raw ? xstrdup(body) : sanitize_str(body, len, 0);
			printf("\n%s", t);
			if (len && body[len - 1] != '\n')
				putchar('\n');
			free(t);
		}
	}
	free(body);
	kb_chunk_rows_free(cv, nc);
	kb_doc_row_free(&d);
	kb_free(&kb);
	return 0;
}

/* ---- add / sync */

struct progress {
	int tty, verbose, quiet;
	int64_t last_draw_us;
	int drawn;
};

static void draw_bar(struct progress *p, const struct kb_ingest_stats *st, int final)
{
	int64_t now = clock_us();
	if (!final && now - p->last_draw_us < 100000)
		return;
	p->last_draw_us = now;
	double secs = (double)(now - st->start_us) / 1e6;
	double mb = (double)st->bytes_done / 1048576.0, total = (double)st->bytes_total / 1048576.0;
	double rate = secs > 0 ? mb / secs : 0;
	double frac = st->files_total ? (double)st->files_done / (double)st->files_total : 1;
	if (st->bytes_total > 0)
		frac = (double)st->bytes_done / (double)st->bytes_total;
	if (frac > 1)
		frac = 1;
	char bar[21];
	int fill = (int)(frac * 20);
	for (int i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	double eta = rate > 0 ? (total - mb) / rate : 0;
	fprintf(stderr, "\r[%s] %lld/%lld files  %.1f/%.1f MB  %.1f MB/s  ETA %.0fs \033[K", bar,
		(long long)st->files_done, (long long)st->files_total, mb, total, rate, eta > 0 ? eta : 0);
	p->drawn = 1;
}

static void on_file(void *ud, const struct kb_ingest_stats *st, const char *path, const char *skip_detail)
{
	struct progress *p = ud;
	if (skip_detail && p->verbose) {
		char *s = cli_flat(path), *d = cli_flat(skip_detail);
		if (p->tty && p->drawn)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "skipped %s: %s\n", s, d);
		free(s);
		free(d);
	}
	if (p->tty && !p->quiet)
		draw_bar(p, st, 0);
}

static void on_batch(void *ud, const struct kb_ingest_stats *st)
{
	struct progress *p = ud;
	if (p->tty || p->quiet)
		return;
	fprintf(stderr, "kb: %lld/%lld files, %.1f MB, %lld chunks stored\n", (long long)st->files_done,
		(long long)st->files_total, (double)st->bytes_done / 1048576.0, (long long)st->chunks);
}

static void summary(const struct kb *kb, const struct kb_ingest_stats *st, struct progress *p, int json, int rc,
		    const struct kb_embed_stats *es)
{
	if (p->tty && p->drawn) {
		draw_bar(p, st, 1);
		fputc('\n', stderr);
	}
	int64_t skipped = 0;
	for (int i = 0; i < KB_SKIP_N; i++)
		skipped += st->skipped[i];
	double secs = (double)(clock_us() - st->start_us) / 1e6;
	if (json) {
		cli_print_json(kb_json_ingest(kb, st, es,
					  rc == KB_INGEST_OK ? "ok" : rc == KB_INGEST_STOPPED ? "interrupted" : "error", secs));
		return;
	}
	printf("%s: %lld files: %lld added, %lld updated, %lld unchanged, %lld removed, %lld skipped; "
	       "%lld documents, %lld chunks stored in %.2f s\n",
	       kb->name, (long long)st->files_total, (long long)st->added, (long long)st->updated,
	       (long long)st->unchanged, (long long)st->removed, (long long)skipped, (long long)st->docs,
	       (long long)st->chunks, secs);
	if (skipped) {
		printf("skipped:");
		const char *sep = " ";
		for (int i = 0; i < KB_SKIP_N; i++)
			if (st->skipped[i]) {
				printf("%s%lld %s", sep, (long long)st->skipped[i], kb_skip_reason((enum kb_skip)i));
				sep = ", ";
			}
		printf("%s\n", p->verbose ? "" : " (--verbose names them)");
	}
	if (st->skipped_records)
		printf("%lld records had no text field and were skipped\n", (long long)st->skipped_records);
	if (st->repaired_bytes || st->dropped_nuls)
		printf("repaired %lld invalid UTF-8 bytes and dropped %lld NUL bytes\n", (long long)st->repaired_bytes,
		       (long long)st->dropped_nuls);
	if (st->hidden_chars || st->redacted)
		printf("guard: stripped %lld hidden characters, masked %lld findings\n", (long long)st->hidden_chars,
		       (long long)st->redacted);
	if (es->pending)
		printf("embeddings (%s): %lld from the cache, %lld computed in %lld calls\n", kb->set.embed,
		       (long long)es->cached, (long long)es->embedded, (long long)es->calls);
}

struct embed_ui {
	struct progress *p;
	int yes;
};

static void embed_progress(void *ud, const struct kb_embed_stats *st)
{
	struct embed_ui *u = ud;
	int64_t todo = st->pending - st->cached;
	if (u->p->tty) {
		fprintf(stderr, "\rembedding: %lld/%lld chunks, %lld calls \033[K", (long long)st->embedded, (long long)todo,
			(long long)st->calls);
		u->p->drawn = 1;
	} else if (!u->p->quiet && (st->calls % 16 == 0 || st->embedded == todo)) {
		fprintf(stderr, "kb: embedded %lld/%lld chunks\n", (long long)st->embedded, (long long)todo);
	}
}

static int confirm_cost(void *ud, const struct kb_embed_stats *st)
{
	struct embed_ui *u = ud;
	if (u->yes)
		return 1;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return 0;
	fprintf(stderr, "Embedding %lld chunks (~%lld tokens) will cost about $%.2f. Go on? [y/N] ",
		(long long)(st->pending - st->cached), (long long)st->tokens, st->cost_usd);
	char line[16];
	return fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y');
}

struct resync_ui {
	struct session s;
	struct embed_ui eui;
	double max_cost;
	struct kb_embed_opts eo;
};

static void resync_watching(void *ud, const struct kb *kb, size_t dirs)
{
	(void)ud;
	printf("watching %zu directories of %s; Ctrl-C stops\n", dirs, kb->name);
	fflush(stdout);
}

static const struct kb_embed_opts *resync_embed_opts(void *ud)
{
	struct resync_ui *u = ud;
	struct err ce = ERR_INIT;
	struct kb_embed_opts eo = { &u->s.cfg, session_catalog(&u->s, &ce), u->s.loop, &cli_kb_stop,
				    u->max_cost >= 0 ? u->max_cost : u->s.cfg.kb_max_cost_usd, confirm_cost,
				    embed_progress, &u->eui };
	u->eo = eo;
	return &u->eo;
}

static void resync_embed_failed(void *ud, const char *why)
{
	(void)ud;
	fprintf(stderr, "aiwb kb: %s\n", why);
}

static void resync_synced(void *ud, const struct kb *kb, const struct kb_ingest_stats *st,
			  const struct kb_embed_stats *es)
{
	(void)ud;
	char when[32];
	kb_label_synced(when, sizeof when, clock_wall_ms());
	printf("%s synced at %s: %lld added, %lld updated, %lld removed%s\n", kb->name, when + 11, (long long)st->added,
	       (long long)st->updated, (long long)st->removed, es->embedded ? ", new chunks embedded" : "");
	fflush(stdout);
}

/* kb sync --watch: sync again whenever the roots change, until Ctrl-C. */
static int watch_and_sync(struct db *db, struct kb *kb, struct kb_ingest_opts *o, struct progress *p, int yes,
			  double max_cost, struct err *e)
{
	struct resync_ui u = { .eui = { p, yes }, .max_cost = max_cost };
	if (cli_kb_embed_session(&u.s, e) < 0)
		return KB_INGEST_FAILED;
	struct kb_resync_cb cb = { resync_watching, resync_embed_opts, resync_embed_failed, resync_synced, &u };
	int rc = kb_resync_run(db, kb, o, u.s.loop, &cli_kb_stop, &cb, e);
	session_close(&u.s);
	return rc;
}

static int kb_add_or_sync(int argc, char **argv, int sync)
{
	static const struct option opts[] = {
		{ "include", required_argument, NULL, OPT_INCLUDE }, { "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "text-field", required_argument, NULL, OPT_TEXT_FIELD },
		{ "id-field", required_argument, NULL, OPT_ID_FIELD },
		{ "title-field", required_argument, NULL, OPT_TITLE_FIELD },
		{ "verbose", no_argument, NULL, OPT_VERBOSE }, { "batch-files", required_argument, NULL, OPT_BATCH },
		{ "json", no_argument, NULL, OPT_JSON }, { "watch", no_argument, NULL, OPT_WATCH },
		{ "yes", no_argument, NULL, OPT_YES }, { "max-cost", required_argument, NULL, OPT_MAX_COST },
		{ "redact", no_argument, NULL, OPT_REDACT },
		{ NULL, 0, NULL, 0 },
	};
	const char *what = sync ? "kb sync" : "kb add";
	int yes = 0, watch = 0, redact = 0;
	double max_cost = -1; /* not given: config kb.max_cost_usd */
	struct kb_ingest_opts o;
	memset(&o, 0, sizeof o);
	const char **inc = xcalloc((size_t)argc, sizeof *inc), **exc = xcalloc((size_t)argc, sizeof *exc);
	int json = 0, c, rc = 0;
	struct progress p = { 0 };
	long n;
	optind = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case OPT_INCLUDE:
		case OPT_EXCLUDE:
		case OPT_TEXT_FIELD:
		case OPT_ID_FIELD:
		case OPT_TITLE_FIELD:
			if (sync) {
				rc = cli_usage_error(CMD, "kb sync reuses the options given to kb add; change them with kb add");
				break;
			}
			if (c == OPT_INCLUDE)
				inc[o.ninclude++] = optarg;
			else if (c == OPT_EXCLUDE)
				exc[o.nexclude++] = optarg;
			else if (c == OPT_TEXT_FIELD)
				o.text_field = optarg;
			else if (c == OPT_ID_FIELD)
				o.id_field = optarg;
			else
				o.title_field = optarg;
			break;
		case 'v':
		case OPT_VERBOSE:
			p.verbose = 1;
			break;
		case OPT_BATCH:
			if (cli_parse_long(CMD, "--batch-files", optarg, 1, 100000, &n))
				rc = 2;
			o.batch_files = (int)n;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_YES:
			yes = 1;
			break;
		case OPT_MAX_COST: {
			char *end;
			max_cost = strtod(optarg, &end);
			if (*end || end == optarg || !(max_cost >= 0))
				rc = cli_usage_error(CMD, "--max-cost must be a number of US dollars, e.g. 5");
			break;
		}
		case OPT_WATCH:
			if (!sync)
				rc = cli_usage_error(CMD, "--watch goes with kb sync");
			watch = 1;
			break;
		case OPT_REDACT:
			if (sync)
				rc = cli_usage_error(CMD, "kb sync redacts when the knowledge base does; turn it on with "
						     "'aiwb kb set NAME --redact on' or 'aiwb kb add NAME PATH --redact'");
			redact = 1;
			break;
		default:
			rc = cli_usage_error(CMD, "unknown option in %s", what);
		}
	}
	if (rc == 0 && (sync ? argc - optind != 1 : argc - optind < 2))
		rc = cli_usage_error(CMD, sync ? "kb sync takes one NAME" : "kb add takes NAME and at least one PATH");
	struct kb kb;
	struct db *db = NULL;
	if (rc == 0)
		db = cli_kb_open_local(argv[optind], 1, &kb, &rc, what);
	if (!db) {
		free(inc);
		free(exc);
		return rc;
	}
	struct err e = ERR_INIT;
	if (redact && !kb.set.redact) {
		kb.set.redact = 1;
		if (kb_store_set_settings(db, kb.id, &kb.set, &e) < 0) {
			rc = cli_fail(CMD, "%s", e.msg);
			db_close(db);
			kb_free(&kb);
			free(inc);
			free(exc);
			return rc;
		}
	}
	struct guard *guard = NULL;
	if (kb.set.redact) {
		struct config cfg;
		if (config_load(&cfg, NULL, &e) == 0)
			guard = guard_from_config(&cfg, &e);
		config_free(&cfg);
		if (!guard) {
			rc = cli_fail(CMD, "cannot redact %s: %s", kb.name, e.msg);
			db_close(db);
			kb_free(&kb);
			free(inc);
			free(exc);
			return rc;
		}
	}
	o.guard = guard;
	o.include = inc;
	o.exclude = exc;
	o.stop = &cli_kb_stop;
	o.ud = &p;
	o.on_file = on_file;
	o.on_batch = on_batch;
	p.tty = isatty(STDERR_FILENO);
	p.quiet = json && !p.tty;
	catch_interrupts();
	struct kb_ingest_stats st;
	int r = sync ? kb_ingest_sync(db, &kb, &o, &st, &e)
		     : kb_ingest_add(db, &kb, (const char *const *)argv + optind + 1, (size_t)(argc - optind - 1), &o,
				     &st, &e);
	struct kb_embed_stats es;
	memset(&es, 0, sizeof es);
	struct err ee = ERR_INIT;
	int embed_rc = 0;
	if (r == KB_INGEST_OK && kb.set.embed[0]) {
		struct session s;
		struct embed_ui ui = { &p, yes };
		if (cli_kb_embed_session(&s, &ee) < 0) {
			embed_rc = -1;
		} else {
			struct err ce = ERR_INIT;
			struct kb_embed_opts eo = { &s.cfg, session_catalog(&s, &ce), s.loop, &cli_kb_stop,
						    max_cost >= 0 ? max_cost : s.cfg.kb_max_cost_usd, confirm_cost,
						    embed_progress, &ui };
			embed_rc = kb_embed_pending(db, &kb, &eo, &es, &ee);
			if (embed_rc == 0 && cli_kb_stop)
				r = KB_INGEST_STOPPED;
		}
		session_close(&s);
		if (p.tty && p.drawn)
			fputc('\n', stderr);
	}
	summary(&kb, &st, &p, json, r, &es);
	if (watch && r == KB_INGEST_OK && embed_rc == 0) {
		fflush(stdout);
		r = watch_and_sync(db, &kb, &o, &p, yes, max_cost, &e);
		if (r == KB_INGEST_STOPPED)
			r = KB_INGEST_OK; /* Ctrl-C is how a watch ends */
	}
	db_close(db);
	if (r == KB_INGEST_STOPPED) {
		fprintf(stderr, "aiwb kb: interrupted; %s keeps the %lld batches committed before, run the command again "
				"to finish\n", kb.name, (long long)st.batches);
		rc = 130;
	} else if (r == KB_INGEST_FAILED) {
		rc = cli_fail(CMD, "%s", e.msg);
	} else if (embed_rc < 0) {
		rc = cli_fail(CMD, "%s", ee.msg);
	}
	guard_free(guard);
	kb_free(&kb);
	free(inc);
	free(exc);
	return rc;
}

/* ---- search */

static int use_bold(void)
{
	const char *term = getenv("TERM");
	return isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0) && !getenv("NO_COLOR");
}

/* Marked text as display text: pieces sanitized, marks as bold or [brackets]. */
static char *render_marked(const char *text, int bold, int flatten)
{
	struct buf b = BUF_INIT;
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\x01\x02");
		char *piece = sanitize_str(p, n, 4);
		if (flatten)
			for (char *q = piece; *q; q++)
				if (*q == '\n')
					*q = ' ';
		buf_puts(&b, piece);
		free(piece);
		p += n;
		if (*p == KB_MARK_ON)
			buf_puts(&b, bold ? "\033[1m" : "[");
		else if (*p == KB_MARK_OFF)
			buf_puts(&b, bold ? "\033[22m" : "]");
		if (*p)
			p++;
	}
	return b.data ? buf_detach(&b) : xstrdup("");
}

/* The --explain line of a model rerank. */
static void explain_rerank(const struct kb_results *r)
{
	const struct kb_rerank *rr = r->rerank;
	if (!rr)
		return;
	if (rr->kind == KB_RERANK_BEDROCK)
		printf("rerank: Bedrock Rerank with %s (%s), %zu candidates in %d call%s, %.2f ms\n", rr->model,
		       rr->model_arn ? rr->model_arn : "", rr->candidates, rr->calls, rr->calls == 1 ? "" : "s", rr->ms);
	else
		printf("rerank: chat model %s scored %zu candidates 0-10 (%d calls, at most %d at once, %d answer%s "
		       "without a number scored 0), %.2f ms\n", rr->model, rr->candidates, rr->calls, rr->max_in_flight,
		       rr->unparsed, rr->unparsed == 1 ? "" : "s", rr->ms);
}

static int kb_search_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, OPT_MODE }, { "filter", required_argument, NULL, OPT_FILTER },
		{ "json", no_argument, NULL, OPT_JSON }, { "explain", no_argument, NULL, OPT_EXPLAIN },
		{ "rerank", required_argument, NULL, OPT_RERANK }, { "raw", no_argument, NULL, OPT_RAW },
		{ "mmr-lambda", required_argument, NULL, OPT_MMR_LAMBDA },
		{ "hybrid-weights", required_argument, NULL, OPT_HYBRID_WEIGHTS },
		{ NULL, 0, NULL, 0 },
	};
	struct kb_search_opts so;
	memset(&so, 0, sizeof so);
	so.k = 10;
	so.with_text = 1;
	so.mmr_lambda = 0.5;
	int json = 0, explain = 0, mode_given = 0, c;
	long n;
	optind = 0;
	while ((c = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (cli_parse_long(CMD, "-k", optarg, 1, KB_SEARCH_K_MAX, &n))
				return 2;
			so.k = (int)n;
			break;
		case OPT_MODE:
			if (kb_mode_parse(optarg) < 0)
				return cli_usage_error(CMD, "--mode must be bm25, vector or hybrid");
			so.mode = (enum kb_mode)kb_mode_parse(optarg);
			mode_given = 1;
			break;
		case OPT_FILTER:
			so.filter = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_EXPLAIN:
			explain = 1;
			break;
		case OPT_RERANK:
			if (strcmp(optarg, "mmr") == 0) {
				so.mmr = 1;
				so.rerank = NULL;
			} else {
				struct kb_rerank probe;
				struct err re = ERR_INIT;
				if (kb_rerank_parse(optarg, &probe, &re) < 0)
					return cli_usage_error(CMD, "%s", re.msg);
				kb_rerank_free(&probe);
				so.rerank = optarg;
				so.mmr = 0;
			}
			break;
		case OPT_MMR_LAMBDA: {
			char *end;
			so.mmr_lambda = strtod(optarg, &end);
			if (*end || end == optarg || !(so.mmr_lambda >= 0 && so.mmr_lambda <= 1))
				return cli_usage_error(CMD, "--mmr-lambda must be a number from 0 to 1");
			break;
		}
		case OPT_HYBRID_WEIGHTS: {
			char extra;
			if (sscanf(optarg, "%lf,%lf%c", &so.w_bm25, &so.w_vector, &extra) != 2 || !(so.w_bm25 >= 0) ||
			    !(so.w_vector >= 0) || so.w_bm25 + so.w_vector <= 0)
				return cli_usage_error(CMD, "--hybrid-weights must be BM25,VECTOR weights such as 1,2");
			break;
		}
		case OPT_RAW:
			break;
		default:
			return cli_usage_error(CMD, "unknown option in kb search");
		}
	}
	if (argc - optind < 2)
		return cli_usage_error(CMD, "kb search takes NAME and QUERY");
	struct buf query = BUF_INIT;
	for (int i = optind + 1; i < argc; i++) {
		if (query.len)
			buf_putc(&query, ' ');
		buf_puts(&query, argv[i]);
	}
	so.query = buf_str(&query);
	struct kb kb;
	int status = 0;
	struct db *db = cli_kb_open(argv[optind], 0, &kb, &status);
	if (!db) {
		buf_free(&query);
		return status;
	}
	if (kb_is_remote(&kb) && !mode_given)
		so.mode = KB_MODE_VECTOR;
	struct kb_results r;
	double ms = 0;
	int rc = cli_kb_search(db, &kb, &so, &r, &ms, CMD);
	db_close(db);
	if (rc) {
		kb_free(&kb);
		buf_free(&query);
		return rc;
	}
	if (json) {
		cli_print_json(kb_json_search(&kb, &so, &r, explain, ms));
	} else {
		int bold = use_bold();
		if (explain && kb_is_remote(&kb)) {
			struct err fe = ERR_INIT;
			char *fj = so.filter ? kb_bedrock_filter_json(so.filter, &fe) : NULL;
			printf("Bedrock knowledge base %s in %s: Retrieve, overrideSearchType %s, numberOfResults %d\n",
			       kb.set.remote_id, kb.set.region, so.mode == KB_MODE_HYBRID ? "HYBRID" : "SEMANTIC", so.k);
			if (fj)
				printf("filter: %s\n", fj);
			explain_rerank(&r);
			printf("%zu results in %.2f ms\n\n", r.n, ms);
			free(fj);
		} else if (explain) {
			printf("mode %s, k %d%s; bm25 weights title %g, heading %g, text %g\n", kb_mode_name(so.mode), so.k,
			       so.mmr ? ", mmr rerank" : "", kb.set.w_title, kb.set.w_heading, kb.set.w_text);
			if (so.mode != KB_MODE_BM25)
				printf("embedding model %s (%zu dimensions); what is embedded is each chunk's text as "
				       "stored, nothing prepended\n", kb.set.embed, so.qdim);
			if (so.mode == KB_MODE_HYBRID)
				printf("fusion: reciprocal rank, k=%d, weights bm25 %g, vector %g\n", KB_RRF_K,
				       so.w_bm25 || so.w_vector ? so.w_bm25 : 1.0, so.w_bm25 || so.w_vector ? so.w_vector : 1.0);
			if (r.unembedded)
				printf("%lld chunks have no embedding yet ('aiwb kb sync %s' computes them)\n",
				       (long long)r.unembedded, kb.name);
			printf("words: ");
			for (size_t i = 0; i < r.nwords; i++)
				printf("%s%s", i ? ", " : "", r.words[i]);
			printf("%s\nFTS5 query: %s\n", r.stop_only ? " (stop words only: kept)" : "", r.fts ? r.fts : "(none)");
			if (r.filter_sql)
				printf("filter: %s\n", r.filter_sql);
			explain_rerank(&r);
			printf("%zu results in %.2f ms\n\n", r.n, ms);
		}
		if (!r.fts && so.mode == KB_MODE_BM25)
			printf("The query holds no word to search for; type words (punctuation is ignored).\n");
		else if (!r.n)
			printf("No chunks of %s match%s.\n", kb.name, so.filter ? " the query and the filter" : " the query");
		for (size_t i = 0; i < r.n; i++) {
			const struct kb_hit *h = &r.v[i];
			char *name = cli_flat(h->doc_name), *heading = cli_flat(h->heading), *title = cli_flat(h->title);
			if (h->remote)
				printf("%s%d. %.4f  %s%s\n", bold ? "\033[1m" : "", h->rank, h->score, name,
				       bold ? "\033[22m" : "");
			else
				printf("%s%d. %.4f  %s%s  %s%s%s  [bytes %zu-%zu]\n", bold ? "\033[1m" : "", h->rank, h->score,
				       name, bold ? "\033[22m" : "", title, *heading ? " › " : "", heading, h->start, h->end);
			if (h->rerank_rank)
				printf("   relevance %.4f (%s), retrieval score %.4f (rank %d)\n", h->relevance,
				       kb_rerank_kind_name(r.rerank->kind), h->retrieval, h->retrieval_rank);
			if (h->meta && strcmp(h->meta, "{}") != 0) {
				char *m = cli_flat(h->meta);
				printf("   meta %s\n", m);
				free(m);
			}
			if (explain) {
				printf("  ");
				if (h->bm25_rank)
					printf(" bm25: rank %d, score %.4f;", h->bm25_rank, h->bm25);
				if (h->vector_rank)
					printf(" vector: rank %d, cosine %.4f;", h->vector_rank, h->vector);
				if (h->fused_rank)
					printf(" fused: rank %d, score %.5f;", h->fused_rank, h->fused);
				if (h->mmr_rank)
					printf(" reranked (mmr): rank %d, score %.4f;", h->mmr_rank, h->mmr);
				if (h->rerank_rank)
					printf(" retrieved: rank %d, score %.4f; reranked (%s): rank %d, relevance %.4f;",
					       h->retrieval_rank, h->retrieval, kb_rerank_kind_name(r.rerank->kind),
					       h->rerank_rank, h->relevance);
				putchar('\n');
			}
			char *text = render_marked(h->text ? h->text : "", bold, 0);
			printf("   ");
			for (const char *p = text; *p; p++) {
				putchar(*p);
				if (*p == '\n')
					printf("   ");
			}
			printf("\n\n");
			free(text);
			free(name);
			free(heading);
			free(title);
		}
	}
	kb_results_free(&r);
	kb_free(&kb);
	buf_free(&query);
	return 0;
}

/* ---- eval */

struct eval_vectors {
	const struct kb *kb;
	struct session sess;
	int opened;
};

static float *eval_vector(void *ud, const char *query, size_t *dim)
{
	struct eval_vectors *ev = ud;
	return cli_kb_query_vector(&ev->sess, &ev->opened, ev->kb, query, dim);
}

/* A remote KB's case: Retrieve through one session and client for the run. */
struct eval_remote {
	const struct kb *kb;
	struct session sess;
	struct bedrockkb *b;
	int opened;
};

static int eval_remote_search(void *ud, const struct kb_search_opts *so, struct kb_results *r, struct err *e)
{
	struct eval_remote *er = ud;
	char *body = bedrockkb_retrieve_json(so, NULL, e);
	if (!body)
		return -1;
	free(body);
	if (!er->opened) {
		struct err oe = ERR_INIT;
		if (cli_kb_embed_session(&er->sess, &oe) < 0) {
			cli_fail(CMD, "%s", oe.msg);
			return -2;
		}
		er->opened = 1;
		if (!(er->b = bedrockkb_new(&er->sess.cfg, er->kb->set.region, &oe))) {
			cli_fail(CMD, "%s: %s", er->kb->name, oe.msg);
			return -2;
		}
	}
	struct err re = ERR_INIT;
	if (bedrockkb_retrieve(er->b, er->sess.loop, er->kb->set.remote_id, so, r, &re) < 0) {
		cli_fail(CMD, "%s: %s", er->kb->name, re.msg);
		return -2;
	}
	return 0;
}

static int kb_eval_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON }, { "queries", required_argument, NULL, OPT_QUERIES },
		{ "min-ndcg", required_argument, NULL, OPT_MIN_NDCG }, { "min-mrr", required_argument, NULL, OPT_MIN_MRR },
		{ "min-hit-rate", required_argument, NULL, OPT_MIN_HIT }, { "mode", required_argument, NULL, OPT_MODE },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode_override = NULL;
	int json = 0, c, k_override = 0;
	const char *queries = NULL;
	double min_ndcg = -1, min_mrr = -1, min_hit = -1;
	long n;
	optind = 0;
	while ((c = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
		double *dst = c == OPT_MIN_NDCG ? &min_ndcg : c == OPT_MIN_MRR ? &min_mrr : c == OPT_MIN_HIT ? &min_hit : NULL;
		if (c == OPT_JSON) {
			json = 1;
		} else if (c == OPT_QUERIES) {
			queries = optarg;
		} else if (c == OPT_MODE) {
			if (kb_mode_parse(optarg) < 0)
				return cli_usage_error(CMD, "--mode must be bm25, vector or hybrid");
			mode_override = optarg;
		} else if (c == 'k') {
			if (cli_parse_long(CMD, "-k", optarg, 1, KB_SEARCH_K_MAX, &n))
				return 2;
			k_override = (int)n;
		} else if (dst) {
			char *end;
			*dst = strtod(optarg, &end);
			if (*end || end == optarg || *dst < 0 || *dst > 1)
				return cli_usage_error(CMD, "the --min-* options take a number from 0 to 1");
		} else {
			return cli_usage_error(CMD, "unknown option in kb eval");
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(CMD, "kb eval takes NAME and SET (a YAML file, or a qrels .tsv with --queries)");
	const char *setpath = argv[optind + 1];
	size_t sl = strlen(setpath);
	int beir = sl > 4 && strcmp(setpath + sl - 4, ".tsv") == 0;
	if (beir && !queries)
		return cli_usage_error(CMD, "a qrels file needs --queries FILE.jsonl with the query texts");
	struct kb_eval_set set;
	struct err e = ERR_INIT;
	if ((beir ? kb_eval_load_beir(setpath, queries, &set, &e) : kb_eval_load_yaml(setpath, &set, &e)) < 0)
		return cli_fail(CMD, "%s", e.msg);
	if (min_ndcg >= 0)
		set.min_ndcg = min_ndcg;
	if (min_mrr >= 0)
		set.min_mrr = min_mrr;
	if (min_hit >= 0)
		set.min_hit_rate = min_hit;
	if (k_override)
		set.k = k_override;
	struct kb kb;
	int status = 0;
	struct db *db = cli_kb_open(argv[optind], 0, &kb, &status);
	if (!db) {
		kb_eval_set_free(&set);
		return status;
	}
	struct eval_vectors ev = { .kb = &kb };
	struct eval_remote er = { .kb = &kb };
	struct kb_eval_opts eo = { .k = k_override, .mode = mode_override, .vector = eval_vector, .ud = &ev };
	if (kb_is_remote(&kb)) {
		eo.search = eval_remote_search;
		eo.ud = &er;
		eo.k_max = KB_BEDROCK_K_MAX;
		eo.fallback_mode = KB_MODE_VECTOR;
	}
	struct kb_eval_report rep;
	int rc = kb_eval_run(db, &kb, &set, &eo, &rep) < 0 ? 1 : 0;
	db_close(db);
	if (ev.opened)
		session_close(&ev.sess);
	bedrockkb_free(er.b);
	if (er.opened)
		session_close(&er.sess);
	if (rc) {
		kb_eval_report_free(&rep);
		kb_eval_set_free(&set);
		kb_free(&kb);
		return rc;
	}
	if (json) {
		cli_print_json(kb_json_eval(&kb, &rep));
	} else {
		printf("%-4s %-30s %4s %5s %6s %6s  %s\n", "", "CASE", "HIT", "RANK", "MRR", "NDCG", "");
		for (size_t i = 0; i < rep.n; i++) {
			const struct kb_eval_result *res = &rep.cases[i];
			char *name = cli_flat(res->c->name);
			if (strlen(name) > 30)
				strcpy(name + 27, "...");
			if (res->error) {
				char *m = cli_flat(res->error);
				printf("%-4s %-30s error: %s\n", "FAIL", name, m);
				free(m);
			} else {
				printf("%-4s %-30s %4s %5d %6.3f %6.3f", res->passed ? "ok" : "FAIL", name,
				       res->sc.hit ? "yes" : "no", res->sc.first_rank, res->sc.rr, res->sc.ndcg);
				const char *sep = "  missing: ";
				for (size_t x = 0; x < res->nmissing; x++) {
					char *d = cli_flat(res->missing[x]);
					printf("%s%s", sep, d);
					free(d);
					sep = ", ";
				}
				sep = "  unwanted: ";
				for (size_t x = 0; x < res->nunwanted; x++) {
					char *d = cli_flat(res->unwanted[x]);
					printf("%s%s", sep, d);
					free(d);
					sep = ", ";
				}
				putchar('\n');
			}
			free(name);
		}
		printf("\n%zu cases, %zu failed; hit rate %.3f, MRR %.3f, nDCG@%d %.3f, recall@%d %.3f, MAP@%d %.3f\n",
		       rep.n, rep.failed, rep.hit_rate, rep.mrr, set.k, rep.ndcg, set.k, rep.recall, set.k, rep.map);
		for (size_t i = 0; i < rep.nbelow; i++)
			printf("%s %.4f is below the minimum %.4f\n", rep.below[i].measure, rep.below[i].got,
			       rep.below[i].min);
	}
	if (rep.failed || rep.nbelow)
		rc = 1;
	kb_eval_report_free(&rep);
	kb_eval_set_free(&set);
	kb_free(&kb);
	return rc;
}

int cmd_kb(int argc, char **argv)
{
	if (argc >= 2 && argv[1][0] != '-')
		cli_kb_seed_demo();
	if (argc < 2)
		return cli_usage_error(CMD, "name a kb command: create, attach, ls, add, sync, docs, show, search, eval, check, set or rm");
	const char *sub = argv[1];
	int sargc = argc - 1;
	char **sargv = argv + 1;
	if (strcmp(sub, "create") == 0)
		return kb_create(sargc, sargv);
	if (strcmp(sub, "set") == 0)
		return kb_set(sargc, sargv);
	if (strcmp(sub, "ls") == 0)
		return kb_ls(sargc, sargv);
	if (strcmp(sub, "attach") == 0)
		return kb_attach(sargc, sargv);
	if (strcmp(sub, "rm") == 0)
		return kb_rm(sargc, sargv);
	if (strcmp(sub, "docs") == 0)
		return kb_docs(sargc, sargv);
	if (strcmp(sub, "show") == 0)
		return kb_show(sargc, sargv);
	if (strcmp(sub, "add") == 0)
		return kb_add_or_sync(sargc, sargv, 0);
	if (strcmp(sub, "sync") == 0)
		return kb_add_or_sync(sargc, sargv, 1);
	if (strcmp(sub, "search") == 0)
		return kb_search_cmd(sargc, sargv);
	if (strcmp(sub, "eval") == 0)
		return kb_eval_cmd(sargc, sargv);
	if (strcmp(sub, "check") == 0)
		return kb_check(sargc, sargv);
	return cli_usage_error(CMD, "unknown kb command '%s'", sub);
}

const char cli_kb_usage[] =
	"usage: aiwb kb create NAME [--chunker fixed|markdown|sentence] [--chunk-tokens N] [--overlap N]\n"
	"                      [--embed PROVIDER/MODEL [--embed-dims N]] [--weights T,H,X] [--max-file-size SIZE]\n"
	"                      [--redact]\n"
	"       aiwb kb set NAME [the options of create, --redact on|off]\n"
	"       aiwb kb add NAME PATH... [--include GLOB]... [--exclude GLOB]... [--text-field F]\n"
	"                   [--id-field F] [--title-field F] [--batch-files N] [-v] [--json]\n"
	"                   [--yes] [--max-cost USD] [--redact]\n"
	"       aiwb kb sync NAME [-v] [--json] [--watch]\n"
	"       aiwb kb attach NAME bedrock:KNOWLEDGE_BASE_ID [--region R] [--json]\n"
	"       aiwb kb ls [--json] | kb ls --bedrock [--region R] [--json]\n"
	"       aiwb kb rm NAME | kb docs NAME [--json]\n"
	"       aiwb kb show NAME DOC [--chunks] [--json] [--raw] | kb check NAME\n"
	"       aiwb kb search NAME QUERY... [-k N] [--mode bm25|vector|hybrid] [--filter EXPR]\n"
	"                   [--rerank mmr|bedrock:MODEL_ID|llm:PROVIDER/MODEL] [--mmr-lambda X]\n"
	"                   [--hybrid-weights B,V] [--explain] [--json]\n"
	"       aiwb kb eval NAME SET.yaml [--json] [-k N] [--mode M] [--min-ndcg X] [--min-mrr X] [--min-hit-rate X]\n"
	"       aiwb kb eval NAME QRELS.tsv --queries QUERIES.jsonl [same options]\n"
	"\n"
	"A knowledge base (KB) holds documents split into chunks, searchable with BM25\n"
	"(SQLite FTS5), in the data home's database. docs/kb.md has the whole story.\n"
	"\n"
	"  create     a new KB; chunker markdown (default; splits at headings and keeps\n"
	"             the heading path), fixed (token windows with --overlap) or sentence\n"
	"             (paragraphs and sentences); --chunk-tokens (default 512) and --overlap\n"
	"             (default 64) count tokens as about 4 bytes each; --weights are the BM25\n"
	"             weights of title, heading path and text (default 1,1,1); files over\n"
	"             --max-file-size (default 1G) are skipped. --embed PROVIDER/MODEL\n"
	"             (e.g. openai/text-embedding-3-small, bedrock/amazon.titan-embed-text-v2:0,\n"
	"             ollama/nomic-embed-text) embeds every chunk on add and sync;\n"
	"             --embed-dims N asks it for shorter vectors (OpenAI text-embedding-3,\n"
	"             Titan v2: 256, 512 or 1024; 0 for the model's own). --redact masks\n"
	"             what the local guard finds ([EMAIL], [CARD], ...) before text is\n"
	"             chunked, indexed or embedded (docs/guard.md); hidden characters are\n"
	"             always stripped and counted in a document's hidden_chars\n"
	"  set        changes settings; the next sync re-chunks every file\n"
	"             (--redact on|off too: the next sync masks, or stops masking)\n"
	"  add        files and directories (recursive): Markdown (front matter becomes\n"
	"             metadata), text, HTML, JSON, JSONL, CSV (a record a document;\n"
	"             --text-field, --id-field, --title-field), PDF (with pdftotext from\n"
	"             poppler-utils), any of them gzip-compressed (.gz). Hidden, binary and\n"
	"             oversized files are skipped and counted (-v names them). Unchanged\n"
	"             files cost nothing; changed ones are chunked again. Files commit in\n"
	"             batches (--batch-files, default 64): Ctrl-C keeps whole batches.\n"
	"             With an embedding model, new chunks are embedded (cached by content);\n"
	"             over --max-cost (default $1 at catalog prices) it asks, or --yes.\n"
	"             --redact turns the KB's redaction on (kept for every later sync)\n"
	"  sync       every path added before, again; documents of files that are gone\n"
	"             are removed. --watch stays in the foreground and syncs again after\n"
	"             every change (inotify) until Ctrl-C\n"
	"  attach     a knowledge base of Amazon Bedrock Knowledge Bases, checked with\n"
	"             GetKnowledgeBase; search it (modes vector and hybrid, the same\n"
	"             --filter, translated) and ask --kb with it like a local KB. kb ls\n"
	"             --bedrock lists the account's knowledge bases in the region\n"
	"  ls, docs   the KBs, the documents of one; show: one document (--chunks: its\n"
	"             chunks with byte offsets and heading paths)\n"
	"  search     the k best chunks (default 10) by BM25, by cosine of embeddings\n"
	"             (vector, exact) or both fused by reciprocal rank (hybrid), optionally\n"
	"             reranked for diversity (--rerank mmr) or by a model (--rerank\n"
	"             bedrock:amazon.rerank-v1:0 or bedrock:cohere.rerank-v3-5:0: Bedrock's\n"
	"             Rerank; llm:PROVIDER/MODEL: a chat model scores each candidate 0-10)\n"
	"             over max(k, 50) candidates, with query words highlighted;\n"
	"             the query is plain words (no operators); --filter on metadata, e.g.\n"
	"             'source=docs AND year>=2024 AND tags IN (aws,ml) AND NOT draft=true'\n"
	"             or \"path GLOB 'docs/*.md'\" (docs/kb.md); --explain shows the query\n"
	"             built, the filter and each score\n"
	"  check      the database and the KB's search index are sound\n"
	"  eval       runs retrieval test cases and prints hit rate, MRR and nDCG per case\n"
	"             and overall (on a Bedrock KB each case is a Retrieve); exits 1 when\n"
	"             a case fails or a minimum is not met\n"
	"\n"
	"Exit status: 0 on success; 1 on an error or a failed eval; 2 on a usage error\n"
	"(an invalid filter included); 130 when interrupted.\n";
