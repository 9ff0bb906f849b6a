#include "session.h"

#include <curl/curl.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/path.h"
#include "llm/run.h"
#include "net/http.h"

static void on_signal(struct loop *l, int signo, void *ud)
{
	(void)l;
	struct session *s = ud;
	log_info("interrupted by signal %d", signo);
	s->interrupted = 1;
	if (!s->signo)
		s->signo = signo;
	if (s->on_interrupt)
		s->on_interrupt(s->ud);
}

int session_open(struct session *s, int flags, struct err *e)
{
	memset(s, 0, sizeof *s);
	if (config_load(&s->cfg, NULL, e) != 0)
		return -1;
	if (path_ensure_data_home(NULL, e) != 0)
		return -1;
	s->data_home = path_data_home();
	char *logpath = path_join(s->data_home, "aiwb.log");
	log_open(logpath, (size_t)s->cfg.log_max_kb * 1024, &s->log_error);
	free(logpath);
	int level = log_level_parse(s->cfg.log_level);
	if (level >= 0)
		log_set_level((enum log_level)level);
	int missing;
	if ((flags & SESSION_DB) && !(s->db = session_writable_db(1, &missing, e)))
		return -1;
	if (!(flags & SESSION_LATE_CATALOG) && !session_catalog(s, e))
		return -1;
	if (!(flags & SESSION_LATE_HTTP) && session_http(s, e) != 0)
		return -1;
	s->loop = loop_new();
	if (!s->loop)
		return err_set(e, "cannot create the event loop");
	loop_watch_signal(s->loop, SIGINT, on_signal, s);
	loop_watch_signal(s->loop, SIGTERM, on_signal, s);
	loop_watch_signal(s->loop, SIGHUP, on_signal, s);
	return 0;
}

const struct catalog *session_catalog(struct session *s, struct err *e)
{
	if (s->catalog_state == 0)
		s->catalog_state = catalog_load(&s->catalog, NULL, &s->cfg, e) == 0 ? 1 : -1;
	else if (s->catalog_state < 0)
		err_set(e, "the model catalog could not be read");
	return s->catalog_state > 0 ? &s->catalog : NULL;
}

int session_http(struct session *s, struct err *e)
{
	if (s->http_state == 0) {
		http_set_defaults((int64_t)s->cfg.connect_timeout_s * 1000, (int64_t)s->cfg.idle_timeout_s * 1000,
				  s->cfg.ca_bundle);
		s->http_state = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 1 : -1;
	}
	return s->http_state > 0 ? 0 : err_set(e, "cannot initialise libcurl");
}

int session_interrupt_status(const struct session *s)
{
	return 128 + (s->signo ? s->signo : SIGINT);
}

int session_save(struct session *s, const struct run *r, const struct llm_request *rq, const char *kind,
		 const char *extra_params)
{
	return session_save_turn(s, r, rq, kind, extra_params, 0, 0) > 0 ? 0 : -1;
}

int64_t session_save_turn(struct session *s, const struct run *r, const struct llm_request *rq, const char *kind,
			  const char *extra_params, int64_t conversation, int turn)
{
	struct err e = ERR_INIT;
	if (!s->db && !s->db_failed) {
		char *dbpath = session_db_path();
		s->db = db_open(dbpath, DB_BUSY_MS, NULL, &s->db_error);
		free(dbpath);
		s->db_failed = !s->db;
	}
	if (!s->db)
		e = s->db_error;
	if (s->db) {
		struct db_run row;
		run_row(r, rq, kind, extra_params, &row);
		row.conversation = conversation;
		row.turn = turn;
		int64_t id = db_run_insert(s->db, &row, &e);
		run_row_free(&row);
		if (id > 0)
			return id;
	}
	log_warn("history not saved: %s", e.msg);
	fprintf(stderr, "aiwb: the %s run of %s was not saved to the history: %s\n", kind, r->model, e.msg);
	s->unsaved++;
	return -1;
}

void session_close(struct session *s)
{
	if (s->loop)
		loop_free(s->loop);
	if (s->db)
		db_close(s->db);
	catalog_free(&s->catalog);
	config_free(&s->cfg);
	log_close();
	if (s->http_state > 0)
		curl_global_cleanup();
	memset(s, 0, sizeof *s);
}

char *session_db_path(void)
{
	return path_join(path_data_home(), "aiwb.db");
}

struct db *session_writable_db(int create, int *missing, struct err *e)
{
	*missing = 0;
	if (create && path_ensure_data_home(NULL, e) != 0)
		return NULL;
	char *path = session_db_path();
	struct db *db = NULL;
	*missing = !create && !path_exists(path);
	if (!*missing)
		db = db_open(path, DB_BUSY_MS, NULL, e);
	free(path);
	return db;
}

struct db *session_existing_db(int *missing, struct err *e)
{
	char *path = session_db_path();
	struct db *db = NULL;
	*missing = !path_exists(path);
	if (!*missing)
		db = db_open_readonly(path, DB_BUSY_MS, NULL, e);
	free(path);
	return db;
}
