/* SPDX-License-Identifier: Apache-2.0 */
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

/* Waiting this long for another connection's lock before giving up with -EBUSY. */
#define BUSY_TIMEOUT_MS 5000

/*
 * Schema migrations, in ascending version order. Each is applied once, in its
 * own transaction together with its schema_migrations row, so a failure
 * leaves the database at the previous version. Never edit a released entry:
 * databases in the field have already run it; add a new one instead.
 */
struct migration {
	unsigned version;
	const char *description;
	const char *sql;
};

static const struct migration migrations[] = {
	{1, "objects and change log",
	 "CREATE TABLE objects("
	 "kind TEXT NOT NULL, id TEXT NOT NULL, spec BLOB NOT NULL,"
	 " version INTEGER NOT NULL, updated_ns INTEGER NOT NULL,"
	 " PRIMARY KEY(kind, id));"
	 "CREATE TABLE changes("
	 "version INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL,"
	 " op TEXT NOT NULL CHECK(op IN ('create', 'update', 'delete')),"
	 " kind TEXT NOT NULL, id TEXT NOT NULL);"},
	{2, "meta table; change log indexed by object",
	 "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	 "CREATE INDEX changes_kind_id ON changes(kind, id);"},
};

#define NB_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

static const char sql_migrations_table[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations("
	"version INTEGER PRIMARY KEY, applied_ns INTEGER, description TEXT)";

/* The statements prepared once at open and reused; parameters are always bound. */
enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_GET,
	ST_INSERT,
	ST_UPDATE,
	ST_DELETE,
	ST_LOG,
	ST_EACH_ALL,
	ST_EACH_KIND,
	ST_CHANGES,
	ST_COUNT_ALL,
	ST_COUNT_KIND,
	ST_META_SET,
	ST_META_DEL,
	ST_META_GET,
	ST_MAX,
};

static const char *const stmt_sql[ST_MAX] = {
	/* IMMEDIATE takes the write lock now, so -EBUSY comes here, not mid-Apply. */
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GET] = "SELECT spec FROM objects WHERE kind = ?1 AND id = ?2",
	[ST_INSERT] = "INSERT INTO objects(kind, id, spec, version, updated_ns)"
		      " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_UPDATE] = "UPDATE objects SET spec = ?3, version = ?4, updated_ns = ?5"
		      " WHERE kind = ?1 AND id = ?2",
	[ST_DELETE] = "DELETE FROM objects WHERE kind = ?1 AND id = ?2",
	[ST_LOG] =
		"INSERT INTO changes(version, time_ns, op, kind, id) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_EACH_ALL] = "SELECT kind, id, spec FROM objects ORDER BY kind, id",
	[ST_EACH_KIND] = "SELECT kind, id, spec FROM objects WHERE kind = ?1 ORDER BY id",
	[ST_CHANGES] = "SELECT version, time_ns, op, kind, id FROM changes WHERE version > ?1"
		       " ORDER BY version LIMIT ?2",
	[ST_COUNT_ALL] = "SELECT count(*) FROM objects",
	[ST_COUNT_KIND] = "SELECT count(*) FROM objects WHERE kind = ?1",
	[ST_META_SET] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
	[ST_META_DEL] = "DELETE FROM meta WHERE key = ?1",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_MAX];
	unsigned schema_version;
	uint64_t version;	   /* of the last change, uncommitted ones included */
	uint64_t version_at_begin; /* restored by a rollback */
	bool in_txn;
	bool iterating; /* inside a store_foreach/store_changes callback */
	int txn_err;	/* first failed mutation of the open transaction */
	char error[256];
};

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int errno_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
			return -EEXIST;
		}
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Records SQLite's message for |rc| and returns its errno. */
static int sql_fail(struct store *s, int rc)
{
	snprintf(s->error, sizeof(s->error), "%s", sqlite3_errmsg(s->db));
	return errno_of(rc);
}

static int fail(struct store *s, int err, const char *msg)
{
	snprintf(s->error, sizeof(s->error), "%s", msg);
	return err;
}

/* A mutation failed after touching the database: only a rollback is left. */
static int poison(struct store *s, int err)
{
	if (s->txn_err == 0) {
		s->txn_err = err;
	}
	return err;
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows; 0 or a negative errno. */
static int run(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int ret = rc == SQLITE_DONE ? 0 : sql_fail(s, rc);

	done(st);
	return ret;
}

static int bind_key(sqlite3_stmt *st, const char *kind, const char *id)
{
	int rc = sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);

	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	}
	return rc;
}

static bool key_valid(const char *kind, const char *id)
{
	return kind != NULL && kind[0] != '\0' && id != NULL && id[0] != '\0';
}

/* Mutations need an open, healthy transaction and no iteration in progress. */
static int can_mutate(struct store *s)
{
	if (!s->in_txn) {
		return fail(s, -EINVAL, "no transaction open: call store_begin first");
	}
	if (s->iterating) {
		return fail(s, -EBUSY, "the store is being iterated");
	}
	return s->txn_err;
}

/* For open-time queries without parameters that return one integer. */
static int query_u64(sqlite3 *db, const char *sql, uint64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK) {
		return rc;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = (uint64_t)sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Reads the schema version (0: none yet). A database without schema_migrations
 * but with tables of its own belongs to something else and is refused.
 */
static int schema_read(sqlite3 *db, uint64_t *version, char *err, size_t errlen)
{
	uint64_t n = 0;
	int rc;

	*version = 0;
	rc = query_u64(db,
		       "SELECT count(*) FROM sqlite_master"
		       " WHERE type = 'table' AND name = 'schema_migrations'",
		       &n);
	if (rc != SQLITE_OK) {
		goto out_sql;
	}
	if (n != 0) {
		rc = query_u64(db, "SELECT ifnull(max(version), 0) FROM schema_migrations",
			       version);
		if (rc != SQLITE_OK) {
			goto out_sql;
		}
		return 0;
	}
	rc = query_u64(db,
		       "SELECT count(*) FROM sqlite_master"
		       " WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
		       &n);
	if (rc != SQLITE_OK) {
		goto out_sql;
	}
	if (n != 0) {
		set_err(err, errlen,
			"database has tables but no schema_migrations: "
			"not a slimbridge-control store");
		return -EPROTO;
	}
	return 0;

out_sql:
	if ((rc & 0xff) == SQLITE_NOTADB) {
		set_err(err, errlen, "file is not a database");
	} else {
		set_err(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db));
	}
	return errno_of(rc);
}

static int schema_newer(uint64_t version, char *err, size_t errlen)
{
	set_err(err, errlen,
		"database schema version %llu is newer than this slimbridge-control supports (%u); "
		"upgrade slimbridge-control",
		(unsigned long long)version, store_schema_latest());
	return -EPROTO;
}

/* Applies |m| and records it; the caller holds the write transaction. */
static int migration_apply(sqlite3 *db, const struct migration *m)
{
	sqlite3_stmt *st;
	int rc;

	/* Constant SQL from this file, never built from input: sqlite3_exec is safe here. */
	rc = sqlite3_exec(db, sql_migrations_table, NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_exec(db, m->sql, NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		return rc;
	}
	rc = sqlite3_prepare_v2(db,
				"INSERT INTO schema_migrations(version, applied_ns, description)"
				" VALUES (?1, ?2, ?3)",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		return rc;
	}
	rc = sqlite3_bind_int64(st, 1, m->version);
	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)wall_ns());
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_text(st, 3, m->description, -1, SQLITE_STATIC);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Brings the schema to the latest version, one migration per transaction.
 * The version is re-read under the write lock, so two processes opening the
 * same old database at once do not both apply a migration.
 */
static int migrate(struct store *s, char *err, size_t errlen)
{
	uint64_t cur;
	size_t i;
	int rc, ret;

	for (;;) {
		rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			set_err(err, errlen, "cannot lock the database for migration: %s",
				sqlite3_errmsg(s->db));
			return errno_of(rc);
		}
		ret = schema_read(s->db, &cur, err, errlen);
		if (ret < 0) {
			goto out_rollback;
		}
		if (cur > store_schema_latest()) {
			ret = schema_newer(cur, err, errlen);
			goto out_rollback;
		}
		for (i = 0; i < NB_MIGRATIONS && migrations[i].version <= cur; i++) {
		}
		if (i == NB_MIGRATIONS) {
			break;
		}
		rc = migration_apply(s->db, &migrations[i]);
		if (rc == SQLITE_OK) {
			rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		}
		if (rc != SQLITE_OK) {
			set_err(err, errlen, "schema migration %u (%s) failed: %s",
				migrations[i].version, migrations[i].description,
				sqlite3_errmsg(s->db));
			ret = errno_of(rc);
			goto out_rollback;
		}
	}
	/* Nothing was written in this last transaction. */
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->schema_version = (unsigned)cur;
	return 0;

out_rollback:
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return ret;
}

/* Sets the connection up: pragmas, then the early refusal of a newer schema. */
static int configure(struct store *s, bool is_file, char *err, size_t errlen)
{
	const char *mode;
	sqlite3_stmt *st;
	uint64_t cur;
	int rc, ret;

	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		set_err(err, errlen, "%s is read-only", s->path);
		return -EROFS;
	}
	/* Before changing anything (the journal mode is in the file): is it ours to open? */
	ret = schema_read(s->db, &cur, err, errlen);
	if (ret < 0) {
		return ret;
	}
	if (cur > store_schema_latest()) {
		return schema_newer(cur, err, errlen);
	}
	if (is_file) {
		rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		if (rc != SQLITE_OK) {
			goto out_sql;
		}
		rc = sqlite3_step(st);
		mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
		if (mode == NULL || strcmp(mode, "wal") != 0) {
			set_err(err, errlen, "cannot use the WAL journal (journal mode %s): %s",
				mode != NULL ? mode : "?", sqlite3_errmsg(s->db));
			sqlite3_finalize(st);
			return rc == SQLITE_ROW ? -EIO : errno_of(rc);
		}
		sqlite3_finalize(st);
	}
	/*
	 * FULL, not NORMAL: in WAL mode NORMAL skips the fsync at commit, so a power
	 * loss may undo transactions whose Apply the caller has already acknowledged.
	 * Policy writes are rare (operator and API rate), so one fsync per Apply
	 * costs nothing that matters.
	 */
	rc = sqlite3_exec(s->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", NULL, NULL,
			  NULL);
	if (rc != SQLITE_OK) {
		goto out_sql;
	}
	return 0;

out_sql:
	set_err(err, errlen, "cannot configure the database: %s", sqlite3_errmsg(s->db));
	return errno_of(rc);
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	struct store *s;
	struct stat sb;
	bool is_file, created;
	uint64_t v;
	mode_t old_mask;
	int rc;

	set_err(err, errlen, "%s", "");
	if (path == NULL || path[0] == '\0') {
		set_err(err, errlen, "no database path");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->path = strdup(path)) == NULL) {
		set_err(err, errlen, "out of memory");
		goto out_free;
	}
	is_file = strcmp(path, ":memory:") != 0;
	created = is_file && stat(path, &sb) != 0 && errno == ENOENT;

	/*
	 * The store holds the whole policy, so only its owner may read it. SQLite
	 * creates the file in sqlite3_open_v2 with 0644 less the umask; a umask of
	 * 077 around the call means it never exists with wider permissions, and
	 * its -wal and -shm files copy the database file's mode. The umask is
	 * process-wide, which is fine for the single-threaded control process.
	 * The chmod afterwards pins 0600 whatever SQLite's build does with the
	 * permissions of new files.
	 */
	old_mask = umask(077);
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	umask(old_mask);
	if (rc != SQLITE_OK) {
		set_err(err, errlen, "cannot open %s: %s", path,
			s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto out_close;
	}
	if (created && chmod(path, 0600) != 0) {
		set_err(err, errlen, "cannot make %s mode 0600: %s", path, strerror(errno));
		goto out_close;
	}
	if (configure(s, is_file, err, errlen) < 0 || migrate(s, err, errlen) < 0) {
		goto out_close;
	}
	for (int i = 0; i < ST_MAX; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->st[i], NULL);
		if (rc != SQLITE_OK) {
			set_err(err, errlen, "cannot prepare a statement: %s",
				sqlite3_errmsg(s->db));
			goto out_close;
		}
	}
	/* Both tables, so a version is never reused even if the log were ever pruned. */
	rc = query_u64(s->db,
		       "SELECT max(ifnull((SELECT max(version) FROM changes), 0),"
		       " ifnull((SELECT max(version) FROM objects), 0))",
		       &v);
	if (rc != SQLITE_OK) {
		set_err(err, errlen, "cannot read the policy version: %s", sqlite3_errmsg(s->db));
		goto out_close;
	}
	s->version = v;
	return s;

out_close:
	store_close(s);
	return NULL;
out_free:
	free(s);
	return NULL;
}

void store_close(struct store *s)
{
	if (s == NULL) {
		return;
	}
	for (int i = 0; i < ST_MAX; i++) {
		sqlite3_finalize(s->st[i]);
	}
	/* Closing with a transaction open rolls it back. */
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

const char *store_path(const struct store *s)
{
	return s->path;
}

const char *store_error(const struct store *s)
{
	return s->error;
}

unsigned store_schema_version(const struct store *s)
{
	return s->schema_version;
}

unsigned store_schema_latest(void)
{
	return migrations[NB_MIGRATIONS - 1].version;
}

uint64_t store_version(const struct store *s)
{
	return s->version;
}

int store_begin(struct store *s)
{
	int ret;

	if (s->in_txn) {
		return fail(s, -EINVAL, "a transaction is already open");
	}
	if (s->iterating) {
		return fail(s, -EBUSY, "the store is being iterated");
	}
	ret = run(s, s->st[ST_BEGIN]);
	if (ret < 0) {
		return ret;
	}
	s->in_txn = true;
	s->txn_err = 0;
	s->version_at_begin = s->version;
	return 0;
}

void store_rollback(struct store *s)
{
	if (!s->in_txn) {
		return;
	}
	/* SQLite itself rolls back on some errors (SQLITE_FULL, IOERR, NOMEM). */
	if (!sqlite3_get_autocommit(s->db)) {
		(void)run(s, s->st[ST_ROLLBACK]);
	}
	s->version = s->version_at_begin;
	s->in_txn = false;
	s->txn_err = 0;
}

int store_commit(struct store *s)
{
	int ret;

	if (!s->in_txn) {
		return fail(s, -EINVAL, "no transaction open");
	}
	if (s->iterating) {
		return fail(s, -EBUSY, "the store is being iterated");
	}
	ret = s->txn_err;
	if (ret == 0) {
		ret = run(s, s->st[ST_COMMIT]);
		if (ret == 0) {
			s->in_txn = false;
			return 0;
		}
	}
	/* Keep the message of the failure, not of the rollback. */
	{
		char msg[sizeof(s->error)];

		memcpy(msg, s->error, sizeof(msg));
		store_rollback(s);
		memcpy(s->error, msg, sizeof(msg));
	}
	return ret;
}

static int log_change(struct store *s, uint64_t version, uint64_t now, const char *op,
		      const char *kind, const char *id)
{
	sqlite3_stmt *st = s->st[ST_LOG];
	int rc;

	rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)version);
	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_text(st, 3, op, -1, SQLITE_STATIC);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_text(st, 5, id, -1, SQLITE_STATIC);
	}
	if (rc != SQLITE_OK) {
		rc = sql_fail(s, rc);
		done(st);
		return rc;
	}
	return run(s, st);
}

int store_put(struct store *s, const char *kind, const char *id, const void *spec, size_t len,
	      enum store_op *op)
{
	sqlite3_stmt *st = s->st[ST_GET];
	bool exists = false, same = false;
	uint64_t v, now;
	int rc, ret;

	if (op != NULL) {
		*op = STORE_OP_UNCHANGED;
	}
	if (!key_valid(kind, id) || (spec == NULL && len > 0)) {
		return fail(s, -EINVAL, "store_put: bad kind, id or spec");
	}
	ret = can_mutate(s);
	if (ret < 0) {
		return ret;
	}

	rc = bind_key(st, kind, id);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		/* The blob before its length, as SQLite's documentation advises. */
		const void *old = sqlite3_column_blob(st, 0);
		size_t old_len = (size_t)sqlite3_column_bytes(st, 0);

		exists = true;
		same = old_len == len && (len == 0 || memcmp(old, spec, len) == 0);
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		ret = sql_fail(s, rc);
		done(st);
		return poison(s, ret);
	}
	done(st);
	if (same) {
		return 0;
	}

	v = s->version + 1;
	now = wall_ns();
	st = s->st[exists ? ST_UPDATE : ST_INSERT];
	rc = bind_key(st, kind, id);
	if (rc == SQLITE_OK) {
		/* A NULL blob would be SQL NULL (refused by NOT NULL); empty is a zero blob. */
		rc = len == 0 ? sqlite3_bind_zeroblob(st, 3, 0)
			      : sqlite3_bind_blob64(st, 3, spec, len, SQLITE_STATIC);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)v);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	}
	if (rc != SQLITE_OK) {
		ret = sql_fail(s, rc);
		done(st);
		return poison(s, ret);
	}
	ret = run(s, st);
	if (ret == 0) {
		ret = log_change(s, v, now, exists ? "update" : "create", kind, id);
	}
	if (ret < 0) {
		return poison(s, ret);
	}
	s->version = v;
	if (op != NULL) {
		*op = exists ? STORE_OP_UPDATE : STORE_OP_CREATE;
	}
	return 0;
}

int store_delete(struct store *s, const char *kind, const char *id)
{
	sqlite3_stmt *st = s->st[ST_DELETE];
	int rc, ret;

	if (!key_valid(kind, id)) {
		return fail(s, -EINVAL, "store_delete: bad kind or id");
	}
	ret = can_mutate(s);
	if (ret < 0) {
		return ret;
	}
	rc = bind_key(st, kind, id);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		ret = sql_fail(s, rc);
		done(st);
		return poison(s, ret);
	}
	done(st);
	if (sqlite3_changes(s->db) == 0) {
		return fail(s, -ENOENT, "no such object");
	}
	ret = log_change(s, s->version + 1, wall_ns(), "delete", kind, id);
	if (ret < 0) {
		return poison(s, ret);
	}
	s->version++;
	return 0;
}

int store_get(struct store *s, const char *kind, const char *id, void **spec, size_t *len)
{
	sqlite3_stmt *st = s->st[ST_GET];
	int rc, ret = 0;

	if (!key_valid(kind, id) || spec == NULL || len == NULL) {
		return fail(s, -EINVAL, "store_get: bad arguments");
	}
	rc = bind_key(st, kind, id);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		void *copy = malloc(n != 0 ? n : 1);

		if (copy == NULL) {
			ret = fail(s, -ENOMEM, "out of memory");
		} else {
			if (n != 0) {
				memcpy(copy, blob, n);
			}
			*spec = copy;
			*len = n;
		}
	} else if (rc == SQLITE_DONE) {
		ret = fail(s, -ENOENT, "no such object");
	} else {
		ret = sql_fail(s, rc);
	}
	done(st);
	return ret;
}

int store_foreach(struct store *s, const char *kind,
		  int (*cb)(const char *kind, const char *id, const void *spec, size_t len,
			    void *arg),
		  void *arg)
{
	static const char empty[1];
	sqlite3_stmt *st = s->st[kind != NULL ? ST_EACH_KIND : ST_EACH_ALL];
	int rc = SQLITE_OK, ret = 0;

	if (cb == NULL) {
		return fail(s, -EINVAL, "store_foreach: no callback");
	}
	if (s->iterating) {
		return fail(s, -EBUSY, "store_foreach: already iterating");
	}
	if (kind != NULL) {
		rc = sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	}
	s->iterating = true;
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *i = (const char *)sqlite3_column_text(st, 1);
		const void *blob = sqlite3_column_blob(st, 2);
		size_t n = (size_t)sqlite3_column_bytes(st, 2);

		if (k == NULL || i == NULL) {
			ret = fail(s, -ENOMEM, "out of memory");
			break;
		}
		ret = cb(k, i, blob != NULL ? blob : empty, n, arg);
		if (ret != 0) {
			break;
		}
		rc = SQLITE_OK;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		ret = sql_fail(s, rc);
	}
	s->iterating = false;
	done(st);
	return ret;
}

static int op_parse(const char *text, enum store_op *op)
{
	if (strcmp(text, "create") == 0) {
		*op = STORE_OP_CREATE;
	} else if (strcmp(text, "update") == 0) {
		*op = STORE_OP_UPDATE;
	} else if (strcmp(text, "delete") == 0) {
		*op = STORE_OP_DELETE;
	} else {
		return -EIO;
	}
	return 0;
}

int store_changes(struct store *s, uint64_t since, uint32_t limit,
		  int (*cb)(const struct store_change *c, void *arg), void *arg)
{
	sqlite3_stmt *st = s->st[ST_CHANGES];
	int rc, ret = 0;

	if (cb == NULL) {
		return fail(s, -EINVAL, "store_changes: no callback");
	}
	if (s->iterating) {
		return fail(s, -EBUSY, "store_changes: already iterating");
	}
	if (since >= (uint64_t)INT64_MAX) {
		return 0; /* versions are SQLite integers: nothing lies beyond */
	}
	rc = sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	if (rc == SQLITE_OK) {
		/* A negative LIMIT is no limit. */
		rc = sqlite3_bind_int64(st, 2, limit != 0 ? (sqlite3_int64)limit : -1);
	}
	s->iterating = true;
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_change c = {
			.version = (uint64_t)sqlite3_column_int64(st, 0),
			.time_ns = (uint64_t)sqlite3_column_int64(st, 1),
		};
		const char *op = (const char *)sqlite3_column_text(st, 2);

		c.kind = (const char *)sqlite3_column_text(st, 3);
		c.id = (const char *)sqlite3_column_text(st, 4);
		if (op == NULL || c.kind == NULL || c.id == NULL) {
			ret = fail(s, -ENOMEM, "out of memory");
			break;
		}
		if (op_parse(op, &c.op) < 0) {
			ret = fail(s, -EIO, "unknown op in the change log");
			break;
		}
		ret = cb(&c, arg);
		if (ret != 0) {
			break;
		}
		rc = SQLITE_OK;
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		ret = sql_fail(s, rc);
	}
	s->iterating = false;
	done(st);
	return ret;
}

int store_count(struct store *s, const char *kind)
{
	sqlite3_stmt *st = s->st[kind != NULL ? ST_COUNT_KIND : ST_COUNT_ALL];
	sqlite3_int64 n = 0;
	int rc = SQLITE_OK, ret;

	if (kind != NULL) {
		rc = sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		ret = n <= INT_MAX ? (int)n : fail(s, -EOVERFLOW, "too many objects to count");
	} else {
		ret = sql_fail(s, rc);
	}
	done(st);
	return ret;
}

int store_meta_set(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st = s->st[value != NULL ? ST_META_SET : ST_META_DEL];
	int rc, ret;

	if (key == NULL || key[0] == '\0') {
		return fail(s, -EINVAL, "store_meta_set: bad key");
	}
	ret = can_mutate(s);
	if (ret < 0) {
		return ret;
	}
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && value != NULL) {
		rc = sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	}
	if (rc != SQLITE_OK) {
		ret = sql_fail(s, rc);
		done(st);
		return poison(s, ret);
	}
	ret = run(s, st);
	return ret < 0 ? poison(s, ret) : 0;
}

int store_meta_get(struct store *s, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *st = s->st[ST_META_GET];
	int rc, ret = 0;

	if (key == NULL || key[0] == '\0' || buf == NULL || len == 0) {
		return fail(s, -EINVAL, "store_meta_get: bad arguments");
	}
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		if (v == NULL) {
			n = 0; /* a NULL value (only ever written by hand) reads as "" */
		}
		if (n >= len) {
			buf[0] = '\0';
			ret = fail(s, -ERANGE, "meta value does not fit the buffer");
		} else {
			if (n != 0) {
				memcpy(buf, v, n);
			}
			buf[n] = '\0';
		}
	} else if (rc == SQLITE_DONE) {
		ret = fail(s, -ENOENT, "no such meta key");
	} else {
		ret = sql_fail(s, rc);
	}
	done(st);
	return ret;
}

const char *store_op_name(enum store_op op)
{
	switch (op) {
	case STORE_OP_UNCHANGED:
		return "unchanged";
	case STORE_OP_CREATE:
		return "create";
	case STORE_OP_UPDATE:
		return "update";
	case STORE_OP_DELETE:
		return "delete";
	}
	return "?";
}
