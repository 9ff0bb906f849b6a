#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/secret.h"
#include "base/xmalloc.h"

struct db {
	sqlite3 *conn;
	char *path;
	int busy_timeout_ms;
	int readonly;
	int schema;
	sqlite3_stmt *insert_run;
};

/* migrations[i] brings the schema from version i to i + 1. Append only. */
static const char *const migrations[] = {
	"CREATE TABLE runs ("
	"	id INTEGER PRIMARY KEY,"
	"	created_ms INTEGER NOT NULL,"
	"	kind TEXT NOT NULL,"
	"	model TEXT,"
	"	prompt TEXT,"
	"	messages TEXT,"
	"	params TEXT,"
	"	output TEXT,"
	"	metrics TEXT"
	");"
	"CREATE INDEX runs_created_ms ON runs(created_ms);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);",

	"CREATE VIRTUAL TABLE runs_fts USING fts5(prompt, output, content='runs', content_rowid='id');"
	"CREATE TRIGGER runs_fts_insert AFTER INSERT ON runs BEGIN"
	"	INSERT INTO runs_fts(rowid, prompt, output) VALUES (new.id, new.prompt, new.output);"
	"END;"
	"CREATE TRIGGER runs_fts_delete AFTER DELETE ON runs BEGIN"
	"	INSERT INTO runs_fts(runs_fts, rowid, prompt, output)"
	"		VALUES ('delete', old.id, old.prompt, old.output);"
	"END;"
	"CREATE TRIGGER runs_fts_update AFTER UPDATE ON runs BEGIN"
	"	INSERT INTO runs_fts(runs_fts, rowid, prompt, output)"
	"		VALUES ('delete', old.id, old.prompt, old.output);"
	"	INSERT INTO runs_fts(rowid, prompt, output) VALUES (new.id, new.prompt, new.output);"
	"END;"
	"INSERT INTO runs_fts(runs_fts) VALUES ('rebuild');",

	"CREATE TABLE experiments ("
	"	id INTEGER PRIMARY KEY,"
	"	created_ms INTEGER NOT NULL,"
	"	name TEXT NOT NULL,"
	"	file TEXT,"
	"	spec TEXT NOT NULL,"
	"	status TEXT NOT NULL"
	");"
	"CREATE TABLE experiment_cases ("
	"	experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,"
	"	case_index INTEGER NOT NULL,"
	"	row_index INTEGER NOT NULL,"
	"	prompt TEXT NOT NULL,"
	"	model TEXT NOT NULL,"
	"	vars TEXT,"
	"	run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
	"	status TEXT NOT NULL,"
	"	passed INTEGER NOT NULL,"
	"	assertions TEXT,"
	"	error TEXT,"
	"	result TEXT NOT NULL,"
	"	PRIMARY KEY (experiment_id, case_index)"
	");",

	"CREATE TABLE jobs ("
	"	id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"	source TEXT NOT NULL,"
	"	ext_id TEXT,"
	"	name TEXT,"
	"	status TEXT NOT NULL,"
	"	raw_state TEXT,"
	"	submit_ms INTEGER, start_ms INTEGER, end_ms INTEGER,"
	"	exit_code INTEGER, signal INTEGER, reason TEXT,"
	"	command TEXT, cwd TEXT, env_names TEXT, rules TEXT, dir TEXT, log_path TEXT, logdir TEXT,"
	"	pid INTEGER, pid_start INTEGER, sup_pid INTEGER, sup_start INTEGER,"
	"	stop_requested INTEGER NOT NULL DEFAULT 0,"
	"	log_offset INTEGER NOT NULL DEFAULT 0,"
	"	activity_ms INTEGER,"
	"	UNIQUE (source, ext_id)"
	");"
	"CREATE TABLE job_metrics ("
	"	seq INTEGER PRIMARY KEY,"
	"	job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	"	name TEXT NOT NULL,"
	"	step INTEGER,"
	"	value REAL,"
	"	is_nan INTEGER NOT NULL DEFAULT 0,"
	"	time_ms INTEGER NOT NULL,"
	"	origin TEXT NOT NULL"
	");"
	"CREATE INDEX job_metrics_job ON job_metrics(job_id, seq);"
	"CREATE TABLE job_metric_last ("
	"	job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	"	name TEXT NOT NULL,"
	"	seq INTEGER NOT NULL,"
	"	points INTEGER NOT NULL,"
	"	PRIMARY KEY (job_id, name)"
	");"
	"CREATE TRIGGER job_metrics_last AFTER INSERT ON job_metrics BEGIN"
	"	INSERT INTO job_metric_last(job_id, name, seq, points) VALUES (new.job_id, new.name, new.seq, 1)"
	"	ON CONFLICT(job_id, name) DO UPDATE SET seq = new.seq, points = points + 1;"
	"END;"
	"CREATE TABLE job_files ("
	"	job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	"	path TEXT NOT NULL,"
	"	offset INTEGER NOT NULL,"
	"	size INTEGER NOT NULL,"
	"	mtime_ns INTEGER NOT NULL,"
	"	PRIMARY KEY (job_id, path)"
	");"
	"CREATE TABLE job_alerts ("
	"	id INTEGER PRIMARY KEY,"
	"	job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	"	rule TEXT NOT NULL,"
	"	fired INTEGER NOT NULL DEFAULT 0,"
	"	fired_ms INTEGER,"
	"	UNIQUE (job_id, rule)"
	");",
	/* Knowledge bases (src/kb/store.h): each KB also gets its own FTS5 table
	 * kb_fts_<id> and view kb_text_<id>, created and dropped with it. */
	"CREATE TABLE kbs ("
	"	id INTEGER PRIMARY KEY,"
	"	name TEXT NOT NULL UNIQUE,"
	"	settings TEXT NOT NULL,"
	"	created_ms INTEGER NOT NULL,"
	"	synced_ms INTEGER"
	");"
	"CREATE TABLE kb_roots ("
	"	kb_id INTEGER NOT NULL REFERENCES kbs(id) ON DELETE CASCADE,"
	"	path TEXT NOT NULL,"
	"	options TEXT NOT NULL,"
	"	PRIMARY KEY (kb_id, path)"
	");"
	"CREATE TABLE kb_files ("
	"	id INTEGER PRIMARY KEY,"
	"	kb_id INTEGER NOT NULL REFERENCES kbs(id) ON DELETE CASCADE,"
	"	path TEXT NOT NULL,"
	"	size INTEGER NOT NULL,"
	"	mtime_ns INTEGER NOT NULL,"
	"	sha256 TEXT NOT NULL,"
	"	signature TEXT NOT NULL,"
	"	UNIQUE (kb_id, path)"
	");"
	"CREATE TABLE kb_docs ("
	"	id INTEGER PRIMARY KEY,"
	"	kb_id INTEGER NOT NULL REFERENCES kbs(id) ON DELETE CASCADE,"
	"	file_id INTEGER NOT NULL REFERENCES kb_files(id) ON DELETE CASCADE,"
	"	name TEXT NOT NULL,"
	"	path TEXT NOT NULL,"
	"	title TEXT NOT NULL,"
	"	format TEXT NOT NULL,"
	"	bytes INTEGER NOT NULL,"
	"	mtime_ns INTEGER NOT NULL,"
	"	sha256 TEXT NOT NULL,"
	"	meta TEXT NOT NULL,"
	"	body TEXT NOT NULL,"
	"	UNIQUE (kb_id, name)"
	");"
	"CREATE INDEX kb_docs_file ON kb_docs(file_id);"
	"CREATE TABLE kb_chunks ("
	"	id INTEGER PRIMARY KEY,"
	"	doc_id INTEGER NOT NULL REFERENCES kb_docs(id) ON DELETE CASCADE,"
	"	seq INTEGER NOT NULL,"
	"	start INTEGER NOT NULL,"
	"	end INTEGER NOT NULL,"
	"	heading TEXT NOT NULL,"
	"	tokens INTEGER NOT NULL"
	");"
	"CREATE INDEX kb_chunks_doc ON kb_chunks(doc_id, seq);"
	"CREATE TABLE kb_vectors ("
	"	chunk_id INTEGER PRIMARY KEY REFERENCES kb_chunks(id) ON DELETE CASCADE,"
	"	dim INTEGER NOT NULL,"
	"	vec BLOB NOT NULL"
	");"
	"CREATE TABLE kb_embed_cache ("
	"	model TEXT NOT NULL,"
	"	hash TEXT NOT NULL,"
	"	dim INTEGER NOT NULL,"
	"	vec BLOB NOT NULL,"
	"	PRIMARY KEY (model, hash)"
	") WITHOUT ROWID;",
	/* A job's status changes (src/jobs/registry.h), oldest first by seq; the
	 * jobs known before it start with their status as it was then. */
	"CREATE TABLE job_transitions ("
	"	seq INTEGER PRIMARY KEY,"
	"	job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
	"	status TEXT NOT NULL,"
	"	raw_state TEXT,"
	"	time_ms INTEGER NOT NULL"
	");"
	"CREATE INDEX job_transitions_job ON job_transitions(job_id, seq);"
	"INSERT INTO job_transitions(job_id, status, raw_state, time_ms)"
	"	SELECT id, status, raw_state, COALESCE(end_ms, start_ms, submit_ms, activity_ms, 0) FROM jobs ORDER BY id;",
	/* The generation of the knowledge bases' vectors and chunks, which
	 * every change bumps: a vector index file (src/kb/vecindex.h) built at
	 * another generation is stale. */
	"CREATE TABLE kb_vectors_gen (gen INTEGER NOT NULL);"
	"INSERT INTO kb_vectors_gen VALUES (0);"
	"CREATE TRIGGER kb_vectors_gen_vi AFTER INSERT ON kb_vectors BEGIN UPDATE kb_vectors_gen SET gen = gen + 1; END;"
	"CREATE TRIGGER kb_vectors_gen_vu AFTER UPDATE ON kb_vectors BEGIN UPDATE kb_vectors_gen SET gen = gen + 1; END;"
	"CREATE TRIGGER kb_vectors_gen_vd AFTER DELETE ON kb_vectors BEGIN UPDATE kb_vectors_gen SET gen = gen + 1; END;"
	"CREATE TRIGGER kb_vectors_gen_ci AFTER INSERT ON kb_chunks BEGIN UPDATE kb_vectors_gen SET gen = gen + 1; END;"
	"CREATE TRIGGER kb_vectors_gen_cd AFTER DELETE ON kb_chunks BEGIN UPDATE kb_vectors_gen SET gen = gen + 1; END;",
	/* Conversations (store/history.h): a turn's row holds the id of the
	 * conversation's first run and its turn number from 1; NULL in both for a
	 * run on its own. The search index follows prompt and output only, so
	 * setting a row's conversation does not re-index it. */
	"ALTER TABLE runs ADD COLUMN conversation INTEGER;"
	"ALTER TABLE runs ADD COLUMN turn INTEGER;"
	"CREATE INDEX runs_conversation ON runs(conversation, turn) WHERE conversation IS NOT NULL;"
	"DROP TRIGGER runs_fts_update;"
	"CREATE TRIGGER runs_fts_update AFTER UPDATE OF prompt, output ON runs BEGIN"
	"	INSERT INTO runs_fts(runs_fts, rowid, prompt, output)"
	"		VALUES ('delete', old.id, old.prompt, old.output);"
	"	INSERT INTO runs_fts(rowid, prompt, output) VALUES (new.id, new.prompt, new.output);"
	"END;",
	/* Jobs that belong to another (src/jobs/job.h): an array's tasks, a
	 * tuning job's training jobs, a schedule's executions; and the source's
	 * own facts about a job as a JSON object. */
	"ALTER TABLE jobs ADD COLUMN parent_id INTEGER REFERENCES jobs(id) ON DELETE CASCADE;"
	"ALTER TABLE jobs ADD COLUMN info TEXT;"
	"CREATE INDEX jobs_parent ON jobs(parent_id) WHERE parent_id IS NOT NULL;",
};

#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

int db_schema_version(void)
{
	return SCHEMA_VERSION;
}

static int is_memory(const char *path)
{
	return strcmp(path, ":memory:") == 0;
}

static enum db_status status_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_ELOCKED;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_FORMAT:
		return DB_ECORRUPT;
	default:
		return DB_EIO;
	}
}

static int refuse(struct db *db, int rc, enum db_status *status, struct err *e)
{
	const char *why = sqlite3_errmsg(db->conn);
	*status = status_of(rc);
	if (rc == SQLITE_CANTOPEN_SYMLINK)
		return err_set(e, "%s is a symbolic link, which aiwb does not follow; "
			       "replace it with the file itself or set AIWB_HOME to its directory", db->path);
	if ((rc & 0xff) == SQLITE_FULL || sqlite3_system_errno(db->conn) == ENOSPC)
		return err_set(e, "cannot write to %s: the disk is full; free some space or set AIWB_HOME "
			       "to a disk with room", db->path);
	switch (*status) {
	case DB_ELOCKED:
		return err_set(e, "%s is locked by another process (waited %d ms); "
			       "close the other aiwb or try again", db->path, db->busy_timeout_ms);
	case DB_ECORRUPT:
		return err_set(e, "%s is not a SQLite database or is damaged (%s); aiwb left it untouched, "
			       "so move it away to start a new history or restore it from a backup", db->path, why);
	default:
		if (db->readonly)
			return err_set(e, "cannot read %s (%s); check its permissions or set AIWB_HOME to another directory",
				       db->path, why);
		return err_set(e, "cannot open %s (%s); check that its directory is writable "
			       "or set AIWB_HOME to another directory", db->path, why);
	}
}

static int refuse_newer(struct db *db, int version, enum db_status *status, struct err *e)
{
	*status = DB_ETOONEW;
	return err_set(e, "%s was written by a newer aiwb (schema %d, this aiwb knows %d); "
		       "upgrade aiwb or set AIWB_HOME to another directory", db->path, version, SCHEMA_VERSION);
}

static int sql_error(struct db *db, struct err *e)
{
	int rc = sqlite3_errcode(db->conn);
	const char *why = sqlite3_errmsg(db->conn);
	if (status_of(rc) == DB_ELOCKED)
		return err_set(e, "%s is locked by another process (waited %d ms); try again",
			       db->path, db->busy_timeout_ms);
	if ((rc & 0xff) == SQLITE_FULL || sqlite3_system_errno(db->conn) == ENOSPC)
		return err_set(e, "cannot write to %s: the disk is full; free some space or set AIWB_HOME "
			       "to a disk with room", db->path);
	if (db->readonly && db->schema < SCHEMA_VERSION && strncmp(why, "no such ", 8) == 0)
		return err_set(e, "%s was written by an older aiwb (schema %d, this aiwb uses %d) and was opened "
			       "only for reading, so it was not upgraded; run a command that saves, such as "
			       "'aiwb ask', to upgrade it", db->path, db->schema, SCHEMA_VERSION);
	return err_set(e, "database error on %s: %s", db->path, why);
}

int db_fail(struct db *db, struct err *e)
{
	return sql_error(db, e);
}

int db_make_room(struct db *db)
{
	if (db->readonly)
		return -1;
	return sqlite3_wal_checkpoint_v2(db->conn, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int exec_rc(struct db *db, const char *sql)
{
	return sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
}

static int create_private(const char *path, enum db_status *status, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	*status = DB_EIO;
	return err_set(e, "cannot create %s (%s); check that its directory exists and is writable "
		       "or set AIWB_HOME to another directory", path, strerror(errno));
}

/* Reads the header without writing; also parses the schema, so damage shows here. */
static int read_header(struct db *db, int *version, int *objects)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->conn,
				    "SELECT (SELECT user_version FROM pragma_user_version),"
				    " (SELECT count(*) FROM sqlite_schema)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		*objects = sqlite3_column_int(st, 1);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int set_wal(struct db *db, enum db_status *status, struct err *e)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->conn, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return refuse(db, rc, status, e);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		refuse(db, rc, status, e);
		sqlite3_finalize(st);
		return -1;
	}
	const char *mode = (const char *)sqlite3_column_text(st, 0);
	int ok = mode && (strcmp(mode, "wal") == 0 || (is_memory(db->path) && strcmp(mode, "memory") == 0));
	if (!ok) {
		*status = DB_EIO;
		err_set(e, "cannot use write-ahead logging on %s (journal mode stays %s); "
			"put AIWB_HOME on a local filesystem", db->path, mode ? mode : "unknown");
	}
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

static int migrate(struct db *db, enum db_status *status, struct err *e)
{
	int version = 0, objects = 0;
	/* an up-to-date schema needs no write lock: many processes opening at
	 * once (parallel asks saving) then never queue for it here */
	int rc = read_header(db, &version, &objects);
	if (rc == SQLITE_OK && version == SCHEMA_VERSION)
		return 0;
	rc = exec_rc(db, "BEGIN IMMEDIATE");
	if (rc == SQLITE_OK)
		rc = read_header(db, &version, &objects);
	if (rc != SQLITE_OK)
		goto refused;
	if (version > SCHEMA_VERSION) {
		refuse_newer(db, version, status, e);
		exec_rc(db, "ROLLBACK");
		return -1;
	}
	for (int v = version; v < SCHEMA_VERSION; v++) {
		if (exec_rc(db, migrations[v]) != SQLITE_OK) {
			*status = DB_EMIGRATE;
			err_set(e, "upgrading %s from schema %d to %d failed (%s); it was left at schema %d, "
				"please report this as an aiwb bug", db->path, v, v + 1,
				sqlite3_errmsg(db->conn), version);
			exec_rc(db, "ROLLBACK");
			return -1;
		}
	}
	if (version < SCHEMA_VERSION) {
		char *sql = xasprintf("PRAGMA user_version = %d", SCHEMA_VERSION);
		rc = exec_rc(db, sql);
		free(sql);
		if (rc != SQLITE_OK)
			goto refused;
	}
	rc = exec_rc(db, "COMMIT");
	if (rc == SQLITE_OK)
		return 0;
refused:
	refuse(db, rc, status, e);
	if (!sqlite3_get_autocommit(db->conn))
		exec_rc(db, "ROLLBACK");
	return -1;
}

static int validate(struct db *db, enum db_status *status, struct err *e)
{
	int version = 0, objects = 0;
	int rc = read_header(db, &version, &objects);
	if (rc != SQLITE_OK)
		return refuse(db, rc, status, e);
	if (version > SCHEMA_VERSION)
		return refuse_newer(db, version, status, e);
	if (version == 0 && objects > 0) {
		*status = DB_ECORRUPT;
		return err_set(e, "%s is a SQLite database that aiwb did not create; aiwb left it untouched, "
			       "so move it away or set AIWB_HOME to another directory", db->path);
	}
	if (sqlite3_db_readonly(db->conn, "main") == 1) {
		*status = DB_EIO;
		return err_set(e, "%s is read-only; make it writable or set AIWB_HOME to another directory",
			       db->path);
	}
	return 0;
}

struct db *db_open(const char *path, int busy_timeout_ms, enum db_status *status, struct err *e)
{
	enum db_status ignored;
	if (!status)
		status = &ignored;
	*status = DB_OK;
	if (!is_memory(path) && create_private(path, status, e) < 0)
		return NULL;

	struct db *db = xcalloc(1, sizeof *db);
	db->path = xstrdup(path);
	db->busy_timeout_ms = busy_timeout_ms;
	/* This SQLite reads "file:..." as a URI; keep such names plain paths. */
	char *sqlite_path = strncmp(path, "file:", 5) == 0 ? xasprintf("./%s", path) : xstrdup(path);
	int rc = sqlite3_open_v2(sqlite_path, &db->conn,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE, NULL);
	free(sqlite_path);
	if (!db->conn) {
		*status = DB_EIO;
		err_set(e, "cannot open %s: out of memory", path);
		goto fail;
	}
	if (rc != SQLITE_OK) {
		refuse(db, rc, status, e);
		goto fail;
	}
	sqlite3_busy_timeout(db->conn, busy_timeout_ms);

	if (validate(db, status, e) < 0 || set_wal(db, status, e) < 0)
		goto fail;
	rc = exec_rc(db, "PRAGMA foreign_keys = ON");
	if (rc != SQLITE_OK) {
		refuse(db, rc, status, e);
		goto fail;
	}
	if (migrate(db, status, e) < 0)
		goto fail;
	db->schema = SCHEMA_VERSION;
	return db;
fail:
	db_close(db);
	return NULL;
}

/* "file:PATH?immutable=1" with PATH percent-encoded (RFC 3986 path characters kept). */
static char *immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	char *uri = xmalloc(5 + 3 * n + 12 + 1), *o = uri;
	memcpy(o, "file:", 5);
	o += 5;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/-._~", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	strcpy(o, "?immutable=1");
	return uri;
}

static int connect_readonly(const char *path, int busy_timeout_ms, int immutable, sqlite3 **conn)
{
	char *name = immutable ? immutable_uri(path)
		   : strncmp(path, "file:", 5) == 0 ? xasprintf("./%s", path) : xstrdup(path);
	int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE |
		    (immutable ? SQLITE_OPEN_URI : 0);
	int rc = sqlite3_open_v2(name, conn, flags, NULL);
	free(name);
	if (!*conn)
		return SQLITE_NOMEM;
	sqlite3_busy_timeout(*conn, busy_timeout_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(*conn, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	return rc;
}

int db_connect_readonly(const char *path, int busy_timeout_ms, sqlite3 **conn)
{
	*conn = NULL;
	int rc = connect_readonly(path, busy_timeout_ms, 0, conn);
	/* A WAL database whose -wal and -shm are gone cannot be opened read-only
	 * where they cannot be created (a read-only mount); with no log, the
	 * file alone is the whole database. */
	if ((rc & 0xff) == SQLITE_CANTOPEN && rc != SQLITE_CANTOPEN_SYMLINK && !is_memory(path)) {
		char *wal = xasprintf("%s-wal", path);
		int has_wal = access(wal, F_OK) == 0;
		free(wal);
		if (!has_wal) {
			sqlite3_close_v2(*conn);
			*conn = NULL;
			rc = connect_readonly(path, busy_timeout_ms, 1, conn);
		}
	}
	return rc;
}

struct db *db_open_readonly(const char *path, int busy_timeout_ms, enum db_status *status, struct err *e)
{
	enum db_status ignored;
	if (!status)
		status = &ignored;
	*status = DB_OK;
	struct db *db = xcalloc(1, sizeof *db);
	db->path = xstrdup(path);
	db->busy_timeout_ms = busy_timeout_ms;
	db->readonly = 1;
	int version = 0, objects = 0;
	int rc = db_connect_readonly(path, busy_timeout_ms, &db->conn);
	if (rc == SQLITE_OK)
		rc = read_header(db, &version, &objects);
	if (rc != SQLITE_OK) {
		if (!db->conn)
			err_set(e, "cannot open %s: out of memory", path);
		else
			refuse(db, rc, status, e);
		goto fail;
	}
	if (version > SCHEMA_VERSION) {
		refuse_newer(db, version, status, e);
		goto fail;
	}
	if (version == 0 && objects > 0) {
		*status = DB_ECORRUPT;
		err_set(e, "%s is a SQLite database that aiwb did not create; aiwb left it untouched, "
			"so move it away or set AIWB_HOME to another directory", path);
		goto fail;
	}
	db->schema = version;
	return db;
fail:
	if (*status == DB_OK)
		*status = DB_EIO;
	db_close(db);
	return NULL;
}

int db_schema(const struct db *db)
{
	return db->schema;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_finalize(db->insert_run);
	sqlite3_close_v2(db->conn);
	free(db->path);
	free(db);
}

sqlite3 *db_handle(struct db *db)
{
	return db->conn;
}

const char *db_path(const struct db *db)
{
	return db->path;
}

int db_exec(struct db *db, const char *sql, struct err *e)
{
	if (exec_rc(db, sql) != SQLITE_OK)
		return sql_error(db, e);
	return 0;
}

sqlite3_stmt *db_prepare(struct db *db, const char *sql, struct err *e)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK) {
		sql_error(db, e);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int db_run_ids(struct db *db, const char *sql, int64_t id1, int64_t id2, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, sql, e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id1);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, id2);
	int rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sql_error(db, e);
	sqlite3_finalize(st);
	return rc;
}

int db_each_row(struct db *db, sqlite3_stmt *st, int (*row)(void *ud, sqlite3_stmt *st), void *ud, struct err *e)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row(ud, st)) {
			rc = SQLITE_DONE;
			break;
		}
	rc = rc == SQLITE_DONE ? 0 : sql_error(db, e);
	sqlite3_finalize(st);
	return rc;
}

struct collect {
	void **array;
	size_t *n, cap, size;
	void (*read)(sqlite3_stmt *st, void *element);
};

static int collect_row(void *ud, sqlite3_stmt *st)
{
	struct collect *c = ud;
	*c->array = xgrow(*c->array, &c->cap, *c->n + 1, c->size);
	c->read(st, (char *)*c->array + *c->n * c->size);
	(*c->n)++;
	return 0;
}

int db_collect(struct db *db, sqlite3_stmt *st, void *array, size_t *n, size_t size,
	       void (*read)(sqlite3_stmt *st, void *element), struct err *e)
{
	struct collect c = { array, n, *n, size, read };
	return db_each_row(db, st, collect_row, &c, e);
}

int db_tx(struct db *db, int (*fn)(struct db *db, void *ud, struct err *e), void *ud, struct err *e)
{
	int nested = !sqlite3_get_autocommit(db->conn);
	if (exec_rc(db, nested ? "SAVEPOINT db_tx" : "BEGIN IMMEDIATE") != SQLITE_OK)
		return sql_error(db, e);
	int result = fn(db, ud, e);
	if (result != 0) {
		if (nested)
			exec_rc(db, "ROLLBACK TO db_tx; RELEASE db_tx");
		else if (!sqlite3_get_autocommit(db->conn))
			exec_rc(db, "ROLLBACK");
		return result;
	}
	if (exec_rc(db, nested ? "RELEASE db_tx" : "COMMIT") != SQLITE_OK) {
		sql_error(db, e);
		if (!nested && !sqlite3_get_autocommit(db->conn))
			exec_rc(db, "ROLLBACK");
		return -1;
	}
	return 0;
}

int db_bind_text(sqlite3_stmt *st, int i, const char *text)
{
	char *redacted = secret_redacted_copy(text);
	if (redacted)
		return sqlite3_bind_text(st, i, redacted, -1, free);
	return sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

int64_t db_run_insert(struct db *db, const struct db_run *run, struct err *e)
{
	if (!run->kind) {
		err_set(e, "a history run needs a kind");
		return -1;
	}
	if (!db->insert_run && sqlite3_prepare_v3(db->conn,
			"INSERT INTO runs (created_ms, kind, model, prompt, messages, params, output, metrics,"
			" conversation, turn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, SQLITE_PREPARE_PERSISTENT,
			&db->insert_run, NULL) != SQLITE_OK) {
		sql_error(db, e);
		return -1;
	}
	sqlite3_stmt *st = db->insert_run;
	const char *texts[] = { run->kind, run->model, run->prompt, run->messages,
				run->params, run->output, run->metrics };
	sqlite3_bind_int64(st, 1, run->created_ms ? run->created_ms : clock_wall_ms());
	for (int i = 0; i < (int)(sizeof texts / sizeof texts[0]); i++)
		db_bind_text(st, i + 2, texts[i]);
	if (run->turn > 0) {
		if (run->conversation > 0)
			sqlite3_bind_int64(st, 9, run->conversation);
		sqlite3_bind_int(st, 10, run->turn);
	}
	int64_t id = -1;
	int own = 0;
	if (sqlite3_step(st) == SQLITE_DONE) {
		id = sqlite3_last_insert_rowid(db->conn);
		own = run->turn > 0 && run->conversation <= 0;
	} else {
		sql_error(db, e);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	/* the first turn's conversation is its own id, known once inserted */
	if (own && db_run_ids(db, "UPDATE runs SET conversation = ?1 WHERE id = ?1", id, 0, NULL) != 0)
		log_warn("run %lld saved without its conversation id: %s", (long long)id, sqlite3_errmsg(db->conn));
	/* a run on its own that is continued becomes the conversation's first turn */
	if (id > 0 && run->turn == 2 && run->conversation > 0 &&
	    db_run_ids(db, "UPDATE runs SET conversation = ?1, turn = 1 WHERE id = ?1 AND conversation IS NULL",
		       run->conversation, 0, NULL) != 0)
		log_warn("run %lld not marked as the first turn of its conversation: %s", (long long)run->conversation,
			 sqlite3_errmsg(db->conn));
	return id;
}

int64_t db_run_count(struct db *db)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->conn, "SELECT count(*) FROM runs", -1, &st, NULL) != SQLITE_OK)
		return -1;
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return n;
}

char *db_meta_get(struct db *db, const char *key)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT value FROM meta WHERE key = ?1", NULL);
	if (!st)
		return NULL;
	char *value = NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		value = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return value;
}

int db_meta_set(struct db *db, const char *key, const char *value, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
					  "ON CONFLICT(key) DO UPDATE SET value = excluded.value", e);
	if (!st)
		return -1;
	db_bind_text(st, 1, key);
	db_bind_text(st, 2, value);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : err_set(e, "cannot write to %s: %s", db_path(db), sqlite3_errmsg(db_handle(db)));
	sqlite3_finalize(st);
	return rc;
}
