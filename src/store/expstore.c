#include "store/expstore.h"

#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

static int sql_fail(struct db *db, struct err *e)
{
	return db_fail(db, e);
}

int64_t expstore_create(struct db *db, const char *name, const char *file, const cJSON *info, int64_t created_ms,
			struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO experiments (created_ms, name, file, spec, status)"
					  " VALUES (?1, ?2, ?3, ?4, 'running')", e);
	if (!st)
		return -1;
	char *spec = cJSON_PrintUnformatted(info);
	sqlite3_bind_int64(st, 1, created_ms);
	db_bind_text(st, 2, name);
	db_bind_text(st, 3, file);
	db_bind_text(st, 4, spec);
	int64_t id = sqlite3_step(st) == SQLITE_DONE ? sqlite3_last_insert_rowid(db_handle(db)) : sql_fail(db, e);
	sqlite3_finalize(st);
	free(spec);
	return id;
}

static char *item_json(const cJSON *o, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	return j ? cJSON_PrintUnformatted(j) : NULL;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(j) ? j->valuedouble : -1;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

int expstore_add_case(struct db *db, int64_t id, const cJSON *c, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "INSERT INTO experiment_cases (experiment_id, case_index, row_index, prompt,"
					  " model, vars, run_id, status, passed, assertions, error, result)"
					  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", e);
	if (!st)
		return -1;
	char *vars = item_json(c, "vars"), *asserts = item_json(c, "assertions"), *result = cJSON_PrintUnformatted(c);
	const char *status = str(c, "status");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)num(c, "index"));
	sqlite3_bind_int64(st, 3, (int64_t)num(c, "row"));
	db_bind_text(st, 4, str(c, "prompt"));
	db_bind_text(st, 5, str(c, "model"));
	db_bind_text(st, 6, vars);
	if (num(c, "run_id") > 0)
		sqlite3_bind_int64(st, 7, (int64_t)num(c, "run_id"));
	db_bind_text(st, 8, status);
	sqlite3_bind_int(st, 9, status && !strcmp(status, "pass"));
	db_bind_text(st, 10, asserts);
	db_bind_text(st, 11, str(c, "error"));
	db_bind_text(st, 12, result);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(db, e);
	sqlite3_finalize(st);
	free(vars);
	free(asserts);
	free(result);
	return rc;
}

static void set_run_id(cJSON *c, cJSON *v)
{
	if (cJSON_GetObjectItemCaseSensitive(c, "run_id"))
		cJSON_ReplaceItemInObjectCaseSensitive(c, "run_id", v);
	else
		cJSON_AddItemToObject(c, "run_id", v);
}

struct case_run {
	int64_t id;
	cJSON *c;
	const struct db_run *row;
};

static int add_case_run(struct db *db, void *ud, struct err *e)
{
	struct case_run *cr = ud;
	if (cr->row) {
		int64_t rid = db_run_insert(db, cr->row, e);
		if (rid < 0)
			return -1;
		set_run_id(cr->c, cJSON_CreateNumber((double)rid));
	}
	return expstore_add_case(db, cr->id, cr->c, e);
}

int expstore_add_case_run(struct db *db, int64_t id, cJSON *c, const struct db_run *row, struct err *e)
{
	struct case_run cr = { id, c, row };
	int rc = db_tx(db, add_case_run, &cr, e);
	if (rc != 0 && row)
		set_run_id(c, cJSON_CreateNull());
	return rc;
}

int expstore_set_status(struct db *db, int64_t id, const char *status, const char *reason, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "UPDATE experiments SET status = ?2, spec = CASE WHEN ?3 IS NULL"
					  " THEN json_remove(spec, '$.reason') ELSE json_set(spec, '$.reason', ?3) END"
					  " WHERE id = ?1", e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, status);
	db_bind_text(st, 3, reason);
	int rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_FULL && db_make_room(db) == 0) {
		/* the status says why the work stopped: worth one retry on a full disk */
		sqlite3_reset(st);
		rc = sqlite3_step(st);
	}
	rc = rc == SQLITE_DONE ? 0 : sql_fail(db, e);
	sqlite3_finalize(st);
	return rc;
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

cJSON *expstore_load(struct db *db, int64_t id, int *missing, struct err *e)
{
	*missing = 0;
	sqlite3_stmt *st = db_prepare(db, "SELECT created_ms, name, file, spec, status FROM experiments WHERE id = ?1", e);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE) {
			*missing = 1;
			err_set(e, "there is no experiment %lld; 'aiwb experiment ls' lists them", (long long)id);
		} else {
			sql_fail(db, e);
		}
		sqlite3_finalize(st);
		return NULL;
	}
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "id", (double)id);
	cJSON_AddStringToObject(doc, "name", col(st, 1) ? col(st, 1) : "");
	if (col(st, 2))
		cJSON_AddStringToObject(doc, "file", col(st, 2));
	else
		cJSON_AddNullToObject(doc, "file");
	cJSON_AddNumberToObject(doc, "created_ms", (double)sqlite3_column_int64(st, 0));
	cJSON_AddStringToObject(doc, "status", col(st, 4) ? col(st, 4) : "");
	cJSON *info = col(st, 3) ? cJSON_Parse(col(st, 3)) : NULL;
	sqlite3_finalize(st);
	const cJSON *it;
	cJSON_ArrayForEach(it, info) {
		if (it->string && !cJSON_GetObjectItemCaseSensitive(doc, it->string))
			cJSON_AddItemToObject(doc, it->string, cJSON_Duplicate(it, 1));
	}
	cJSON_Delete(info);
	cJSON *cases = cJSON_AddArrayToObject(doc, "cases");
	st = db_prepare(db, "SELECT result FROM experiment_cases WHERE experiment_id = ?1 ORDER BY case_index", e);
	if (!st) {
		cJSON_Delete(doc);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *c = col(st, 0) ? cJSON_Parse(col(st, 0)) : NULL;
		if (c)
			cJSON_AddItemToArray(cases, c);
	}
	if (rc != SQLITE_DONE) {
		sql_fail(db, e);
		cJSON_Delete(doc);
		doc = NULL;
	}
	sqlite3_finalize(st);
	return doc;
}

cJSON *expstore_list(struct db *db, int limit, struct err *e)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT e.id, e.created_ms, e.name, e.file, e.status,"
					  " (SELECT count(*) FROM experiment_cases c WHERE c.experiment_id = e.id),"
					  " (SELECT count(*) FROM experiment_cases c WHERE c.experiment_id = e.id AND c.passed)"
					  " FROM experiments e ORDER BY e.id DESC LIMIT ?1", e);
	if (!st)
		return NULL;
	sqlite3_bind_int(st, 1, limit);
	cJSON *a = cJSON_CreateArray();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
		cJSON_AddNumberToObject(o, "created_ms", (double)sqlite3_column_int64(st, 1));
		cJSON_AddStringToObject(o, "name", col(st, 2) ? col(st, 2) : "");
		if (col(st, 3))
			cJSON_AddStringToObject(o, "file", col(st, 3));
		else
			cJSON_AddNullToObject(o, "file");
		cJSON_AddStringToObject(o, "status", col(st, 4) ? col(st, 4) : "");
		cJSON_AddNumberToObject(o, "cases", (double)sqlite3_column_int64(st, 5));
		cJSON_AddNumberToObject(o, "passed", (double)sqlite3_column_int64(st, 6));
		cJSON_AddItemToArray(a, o);
	}
	if (rc != SQLITE_DONE) {
		sql_fail(db, e);
		cJSON_Delete(a);
		a = NULL;
	}
	sqlite3_finalize(st);
	return a;
}
