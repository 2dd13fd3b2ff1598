/* SPDX-License-Identifier: Apache-2.0 */
/* The control process's policy store: ops, versions, transactions, change log, migrations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

static char dir[64];
static char errbuf[256];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/sbstore.XXXXXX",
		 tmp != NULL && tmp[0] != '\0' && strlen(tmp) < 40 ? tmp : "/tmp");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	(void)state;
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
				snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
				unlink(p);
			}
		}
		closedir(d);
	}
	return rmdir(dir);
}

static const char *path_in(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* Runs constant SQL on |path| through a connection of the test's own. */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	int64_t v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return v;
}

static struct store *open_ok(const char *path)
{
	struct store *s = store_open(path, errbuf, sizeof(errbuf));

	if (s == NULL) {
		fail_msg("store_open(%s): %s", path, errbuf);
	}
	return s;
}

static void put_ok(struct store *s, const char *kind, const char *id, const char *spec,
		   enum store_op want)
{
	enum store_op op = STORE_OP_DELETE;

	assert_int_equal(store_put(s, kind, id, spec, strlen(spec), &op), 0);
	assert_int_equal(op, want);
}

static void assert_spec(struct store *s, const char *kind, const char *id, const char *want)
{
	void *spec = NULL;
	size_t len = 0;

	assert_int_equal(store_get(s, kind, id, &spec, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(spec, want, len);
	free(spec);
}

/* Collects the change log as "version:op:kind/id;" */
struct log {
	char text[1024];
	unsigned calls;
	unsigned stop_after; /* 0: never stop */
	uint64_t last;
};

static int collect_change(const struct store_change *c, void *arg)
{
	struct log *l = arg;
	size_t n = strlen(l->text);

	assert_true(c->time_ns > 0);
	snprintf(l->text + n, sizeof(l->text) - n, "%llu:%s:%s/%s;", (unsigned long long)c->version,
		 store_op_name(c->op), c->kind, c->id);
	l->last = c->version;
	if (++l->calls == l->stop_after) {
		return 42;
	}
	return 0;
}

static const char *changes(struct store *s, uint64_t since, uint32_t limit, struct log *l)
{
	memset(l, 0, sizeof(*l));
	assert_int_equal(store_changes(s, since, limit, collect_change, l), 0);
	return l->text;
}

static int collect_object(const char *kind, const char *id, const void *spec, size_t len, void *arg)
{
	struct log *l = arg;
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof(l->text) - n, "%s/%s=%.*s;", kind, id, (int)len,
		 (const char *)spec);
	if (++l->calls == l->stop_after) {
		return 7;
	}
	return 0;
}

static void test_put_update_unchanged_delete(void **state)
{
	struct store *s = open_ok(":memory:");
	struct log l;

	(void)state;
	assert_int_equal(store_version(s), 0);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	assert_int_equal(store_count(s, NULL), 0);

	assert_int_equal(store_begin(s), 0);
	put_ok(s, "route", "r1", "v1", STORE_OP_CREATE);
	assert_int_equal(store_version(s), 1);
	put_ok(s, "route", "r1", "v1", STORE_OP_UNCHANGED);
	assert_int_equal(store_version(s), 1);
	put_ok(s, "route", "r1", "v2", STORE_OP_UPDATE);
	assert_int_equal(store_version(s), 2);
	/* Same length, one byte different: still an update. */
	put_ok(s, "route", "r1", "v3", STORE_OP_UPDATE);
	put_ok(s, "peer", "p1", "x", STORE_OP_CREATE);
	/* Inside the transaction, reads see its writes. */
	assert_spec(s, "route", "r1", "v3");
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 4);
	assert_int_equal(store_count(s, NULL), 2);
	assert_int_equal(store_count(s, "route"), 1);
	assert_int_equal(store_count(s, "nothing"), 0);
	assert_string_equal(changes(s, 0, 0, &l), "1:create:route/r1;2:update:route/r1;"
						  "3:update:route/r1;4:create:peer/p1;");

	/* Unchanged-only Apply: no version, no change row. */
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "route", "r1", "v3", STORE_OP_UNCHANGED);
	put_ok(s, "peer", "p1", "x", STORE_OP_UNCHANGED);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 4);
	assert_string_equal(changes(s, 4, 0, &l), "");

	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_delete(s, "route", "r1"), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 5);
	assert_string_equal(changes(s, 4, 0, &l), "5:delete:route/r1;");
	{
		void *spec = (void *)0x1;
		size_t len = 99;

		assert_int_equal(store_get(s, "route", "r1", &spec, &len), -ENOENT);
		assert_ptr_equal(spec, (void *)0x1);
	}
	/* Re-creating a deleted object is a create. */
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "route", "r1", "v3", STORE_OP_CREATE);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 6);
	store_close(s);
}

static void test_empty_blob(void **state)
{
	struct store *s = open_ok(":memory:");
	enum store_op op;
	void *spec = NULL;
	size_t len = 1;

	(void)state;
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_put(s, "k", "empty", NULL, 0, &op), 0);
	assert_int_equal(op, STORE_OP_CREATE);
	assert_int_equal(store_put(s, "k", "empty", "", 0, &op), 0);
	assert_int_equal(op, STORE_OP_UNCHANGED);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_get(s, "k", "empty", &spec, &len), 0);
	assert_non_null(spec);
	assert_int_equal(len, 0);
	free(spec);
	/* A NULL spec with a length is refused, as are empty keys. */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_put(s, "k", "x", NULL, 3, &op), -EINVAL);
	assert_int_equal(store_put(s, "", "x", "a", 1, &op), -EINVAL);
	assert_int_equal(store_put(s, "k", NULL, "a", 1, NULL), -EINVAL);
	/* Argument errors do not spoil the transaction. */
	assert_int_equal(store_put(s, "k", "x", "a", 1, NULL), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 2);
	store_close(s);
}

static void test_mutation_outside_transaction_is_einval(void **state)
{
	struct store *s = open_ok(":memory:");
	enum store_op op;

	(void)state;
	assert_int_equal(store_put(s, "route", "r1", "v1", 2, &op), -EINVAL);
	assert_string_not_equal(store_error(s), "");
	assert_int_equal(store_delete(s, "route", "r1"), -EINVAL);
	assert_int_equal(store_meta_set(s, "k", "v"), -EINVAL);
	assert_int_equal(store_commit(s), -EINVAL);
	store_rollback(s); /* harmless without a transaction */
	assert_int_equal(store_count(s, NULL), 0);
	assert_int_equal(store_version(s), 0);

	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_begin(s), -EINVAL); /* no nesting */
	assert_int_equal(store_commit(s), 0);
	/* After commit, mutations need a new transaction again. */
	assert_int_equal(store_put(s, "route", "r1", "v1", 2, &op), -EINVAL);
	store_close(s);
}

static void test_rollback_leaves_no_trace(void **state)
{
	struct store *s = open_ok(":memory:");
	char buf[16];
	struct log l;

	(void)state;
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "route", "keep", "old", STORE_OP_CREATE);
	put_ok(s, "route", "gone", "g", STORE_OP_CREATE);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 2);

	assert_int_equal(store_begin(s), 0);
	put_ok(s, "route", "keep", "new", STORE_OP_UPDATE);
	put_ok(s, "route", "fresh", "f", STORE_OP_CREATE);
	assert_int_equal(store_delete(s, "route", "gone"), 0);
	assert_int_equal(store_meta_set(s, "owner", "me"), 0);
	assert_int_equal(store_version(s), 5);
	assert_int_equal(store_count(s, "route"), 2);
	store_rollback(s);

	assert_int_equal(store_version(s), 2);
	assert_spec(s, "route", "keep", "old");
	assert_spec(s, "route", "gone", "g");
	assert_int_equal(store_count(s, NULL), 2);
	assert_string_equal(changes(s, 0, 0, &l), "1:create:route/keep;2:create:route/gone;");
	assert_int_equal(store_meta_get(s, "owner", buf, sizeof(buf)), -ENOENT);

	/* The next change gets the version after the last committed one. */
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "route", "fresh", "f2", STORE_OP_CREATE);
	assert_int_equal(store_commit(s), 0);
	assert_string_equal(changes(s, 2, 0, &l), "3:create:route/fresh;");
	store_close(s);
}

static void test_delete_missing_is_enoent(void **state)
{
	struct store *s = open_ok(":memory:");

	(void)state;
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_delete(s, "route", "nope"), -ENOENT);
	assert_int_equal(store_version(s), 0);
	/* The transaction stays usable. */
	put_ok(s, "route", "r", "1", STORE_OP_CREATE);
	assert_int_equal(store_delete(s, "route", "r"), 0);
	assert_int_equal(store_delete(s, "route", "r"), -ENOENT);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 2);
	store_close(s);
}

static void test_foreach_order_and_early_stop(void **state)
{
	struct store *s = open_ok(":memory:");
	struct log l;

	(void)state;
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "route", "b", "2", STORE_OP_CREATE);
	put_ok(s, "peer", "z", "9", STORE_OP_CREATE);
	put_ok(s, "route", "a", "1", STORE_OP_CREATE);
	put_ok(s, "acl", "m", "5", STORE_OP_CREATE);
	put_ok(s, "route", "c", "3", STORE_OP_CREATE);
	assert_int_equal(store_commit(s), 0);

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_foreach(s, NULL, collect_object, &l), 0);
	assert_string_equal(l.text, "acl/m=5;peer/z=9;route/a=1;route/b=2;route/c=3;");

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_foreach(s, "route", collect_object, &l), 0);
	assert_string_equal(l.text, "route/a=1;route/b=2;route/c=3;");

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_foreach(s, "none", collect_object, &l), 0);
	assert_int_equal(l.calls, 0);

	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	assert_int_equal(store_foreach(s, NULL, collect_object, &l), 7);
	assert_int_equal(l.calls, 2);
	assert_string_equal(l.text, "acl/m=5;peer/z=9;");

	/* A stopped iteration leaves the statement reusable. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_foreach(s, NULL, collect_object, &l), 0);
	assert_int_equal(l.calls, 5);
	store_close(s);
}

static struct store *nested_store;

static int nested_cb(const char *kind, const char *id, const void *spec, size_t len, void *arg)
{
	enum store_op op;

	(void)spec;
	(void)len;
	(void)arg;
	/* Reads work inside a callback; mutation and nested iteration do not. */
	assert_int_equal(store_count(nested_store, kind), 1);
	assert_spec(nested_store, kind, id, "1");
	assert_int_equal(store_put(nested_store, "k", "new", "n", 1, &op), -EBUSY);
	assert_int_equal(store_foreach(nested_store, NULL, nested_cb, NULL), -EBUSY);
	return 0;
}

static void test_callbacks_may_read_only(void **state)
{
	struct store *s = open_ok(":memory:");

	(void)state;
	nested_store = s;
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "k", "a", "1", STORE_OP_CREATE);
	assert_int_equal(store_foreach(s, NULL, nested_cb, NULL), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
}

static void test_changes_pagination(void **state)
{
	struct store *s = open_ok(":memory:");
	uint64_t since = 0;
	unsigned pages = 0, total = 0;
	struct log l;
	char id[8];

	(void)state;
	assert_int_equal(store_begin(s), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "o%d", i);
		put_ok(s, "k", id, "x", STORE_OP_CREATE);
	}
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 10);

	/* Page by 3, resuming after the last version seen. */
	for (;;) {
		changes(s, since, 3, &l);
		if (l.calls == 0) {
			break;
		}
		assert_int_equal(l.last, since + l.calls);
		assert_true(l.calls == 3 || l.last == 10);
		since = l.last;
		total += l.calls;
		pages++;
	}
	assert_int_equal(pages, 4);
	assert_int_equal(total, 10);

	assert_string_equal(changes(s, 7, 0, &l), "8:create:k/o7;9:create:k/o8;10:create:k/o9;");
	assert_string_equal(changes(s, 8, 1, &l), "9:create:k/o8;");
	assert_string_equal(changes(s, 10, 5, &l), "");
	assert_string_equal(changes(s, UINT64_MAX, 5, &l), "");

	/* The callback stops the walk and its value comes back. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	assert_int_equal(store_changes(s, 0, 0, collect_change, &l), 42);
	assert_string_equal(l.text, "1:create:k/o0;2:create:k/o1;");
	store_close(s);
}

static void test_meta(void **state)
{
	struct store *s = open_ok(":memory:");
	char buf[8];

	(void)state;
	assert_int_equal(store_meta_get(s, "node", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_meta_set(s, "node", "n1"), 0);
	assert_int_equal(store_meta_set(s, "long", "0123456789"), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 0); /* meta does not version the policy */
	assert_int_equal(store_meta_get(s, "node", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "n1");
	assert_int_equal(store_meta_get(s, "long", buf, sizeof(buf)), -ERANGE);
	assert_string_equal(buf, "");
	assert_int_equal(store_meta_get(s, "node", buf, 3), 0);
	assert_int_equal(store_meta_get(s, "node", buf, 2), -ERANGE);

	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_meta_set(s, "node", "n2"), 0);
	assert_int_equal(store_meta_set(s, "long", NULL), 0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_meta_get(s, "node", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "n2");
	assert_int_equal(store_meta_get(s, "long", buf, sizeof(buf)), -ENOENT);
	store_close(s);
}

static void test_file_reopen_keeps_state_mode_0600(void **state)
{
	const char *p = path_in("policy.db");
	char path[128], wal[140], buf[16];
	struct store *s;
	struct stat st;
	struct log l;

	(void)state;
	snprintf(path, sizeof(path), "%s", p);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	s = open_ok(path);
	assert_string_equal(store_path(s), path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "route", "r1", "spec-1", STORE_OP_CREATE);
	put_ok(s, "route", "r2", "spec-2", STORE_OP_CREATE);
	assert_int_equal(store_delete(s, "route", "r2"), 0);
	assert_int_equal(store_meta_set(s, "node", "n1"), 0);
	assert_int_equal(store_commit(s), 0);
	/* WAL mode; the log file inherits the database's mode. */
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* An open transaction at close is lost. */
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "route", "lost", "x", STORE_OP_CREATE);
	store_close(s);

	assert_int_equal(raw_int(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	s = open_ok(path);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	assert_int_equal(store_version(s), 3);
	assert_spec(s, "route", "r1", "spec-1");
	assert_int_equal(store_count(s, NULL), 1);
	assert_string_equal(changes(s, 0, 0, &l),
			    "1:create:route/r1;2:create:route/r2;3:delete:route/r2;");
	assert_int_equal(store_meta_get(s, "node", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "n1");
	/* Versions continue after a reopen. */
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "route", "r1", "spec-1b", STORE_OP_UPDATE);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 4);
	store_close(s);
	/* Reopening does not apply the migrations again. */
	assert_int_equal(raw_int(path, "SELECT count(*) FROM schema_migrations"),
			 store_schema_latest());
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* Schema version 1 as released: the test keeps its own copy on purpose. */
static const char v1_sql[] =
	"CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, applied_ns INTEGER,"
	" description TEXT);"
	"CREATE TABLE objects(kind TEXT NOT NULL, id TEXT NOT NULL, spec BLOB NOT NULL,"
	" version INTEGER NOT NULL, updated_ns INTEGER NOT NULL, PRIMARY KEY(kind, id));"
	"CREATE TABLE changes(version INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL,"
	" op TEXT NOT NULL CHECK(op IN ('create', 'update', 'delete')),"
	" kind TEXT NOT NULL, id TEXT NOT NULL);"
	"INSERT INTO schema_migrations VALUES (1, 1, 'objects and change log');"
	"INSERT INTO objects VALUES ('route', 'r1', X'0102', 6, 100);"
	"INSERT INTO changes VALUES (6, 90, 'create', 'route', 'old');"
	"INSERT INTO changes VALUES (7, 100, 'delete', 'route', 'old');";

static void test_migrates_v1_database(void **state)
{
	char path[128], buf[8];
	struct store *s;
	struct log l;
	void *spec;
	size_t len;

	(void)state;
	assert_true(store_schema_latest() >= 2);
	snprintf(path, sizeof(path), "%s", path_in("v1.db"));
	raw_exec(path, v1_sql);

	s = open_ok(path);
	assert_int_equal(store_schema_version(s), store_schema_latest());
	assert_int_equal(store_version(s), 7);
	assert_int_equal(store_get(s, "route", "r1", &spec, &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(spec, "\x01\x02", 2);
	free(spec);
	assert_string_equal(changes(s, 0, 0, &l), "6:create:route/old;7:delete:route/old;");
	/* Migration 2's meta table is there. */
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_meta_set(s, "k", "v"), 0);
	put_ok(s, "route", "r2", "x", STORE_OP_CREATE);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_meta_get(s, "k", buf, sizeof(buf)), 0);
	assert_int_equal(store_version(s), 8);
	store_close(s);

	assert_int_equal(raw_int(path, "SELECT group_concat(version) = '1,2' FROM"
				       " (SELECT version FROM schema_migrations ORDER BY version)"),
			 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM schema_migrations WHERE version = 2"
				       " AND applied_ns > 1000000000000000000"),
			 1);
	assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
				       " AND tbl_name = 'changes' AND name = 'changes_kind_id'"),
			 1);
}

static void test_refuses_newer_schema(void **state)
{
	char path[128], want[200], sql[160];
	struct store *s;

	(void)state;
	snprintf(path, sizeof(path), "%s", path_in("newer.db"));
	s = open_ok(path);
	store_close(s);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO schema_migrations VALUES (%u, 1, 'from the future')",
		 store_schema_latest() + 3);
	raw_exec(path, sql);

	assert_null(store_open(path, errbuf, sizeof(errbuf)));
	snprintf(want, sizeof(want),
		 "database schema version %u is newer than this slimbridge-control supports (%u); "
		 "upgrade slimbridge-control",
		 store_schema_latest() + 3, store_schema_latest());
	assert_string_equal(errbuf, want);
	/* Refused without being touched: still the newer version, no migration recorded. */
	assert_int_equal(raw_int(path, "SELECT count(*) FROM schema_migrations"),
			 store_schema_latest() + 1);
	/* A NULL err buffer is allowed. */
	assert_null(store_open(path, NULL, 0));
}

static void test_refuses_non_database(void **state)
{
	char path[128], text[4096], back[4096];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s", path_in("junk.db"));
	for (size_t i = 0; i < sizeof(text); i++) {
		text[i] = (char)('a' + i % 26);
	}
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, sizeof(text), f), sizeof(text));
	fclose(f);

	assert_null(store_open(path, errbuf, sizeof(errbuf)));
	assert_non_null(strstr(errbuf, "not a database"));
	assert_null(strchr(errbuf, '\n'));
	/* The file is left as it was. */
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(back, 1, sizeof(back), f), sizeof(back));
	fclose(f);
	assert_memory_equal(back, text, sizeof(text));
}

static void test_refuses_foreign_database_and_bad_paths(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s", path_in("foreign.db"));
	raw_exec(path, "CREATE TABLE objects(x); INSERT INTO objects VALUES (1)");
	assert_null(store_open(path, errbuf, sizeof(errbuf)));
	assert_non_null(strstr(errbuf, "not a slimbridge-control store"));

	assert_null(store_open(path_in("no/such/dir/x.db"), errbuf, sizeof(errbuf)));
	assert_non_null(strstr(errbuf, "cannot open"));
	assert_null(store_open("", errbuf, sizeof(errbuf)));
	assert_string_not_equal(errbuf, "");
	store_close(NULL);
}

/*
 * A mutation that fails half-way (here the change row, refused by a trigger
 * added by hand) spoils the transaction: store_commit rolls back and returns
 * the error, leaving nothing of it behind.
 */
static void test_failed_mutation_spoils_transaction(void **state)
{
	char path[128];
	enum store_op op;
	struct store *s;
	struct log l;

	(void)state;
	snprintf(path, sizeof(path), "%s", path_in("trigger.db"));
	s = open_ok(path);
	store_close(s);
	raw_exec(path, "CREATE TRIGGER boom BEFORE INSERT ON changes WHEN NEW.kind = 'boom'"
		       " BEGIN SELECT RAISE(ABORT, 'boom refused'); END");

	s = open_ok(path);
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "ok", "a", "1", STORE_OP_CREATE);
	assert_int_equal(store_put(s, "boom", "b", "2", 1, &op), -EINVAL);
	assert_int_equal(op, STORE_OP_UNCHANGED);
	assert_non_null(strstr(store_error(s), "boom refused"));
	/* Later mutations report the same failure; reads still work. */
	assert_int_equal(store_put(s, "ok", "c", "3", 1, &op), -EINVAL);
	assert_int_equal(store_count(s, "boom"), 1); /* the object row got in before the log */
	assert_int_equal(store_commit(s), -EINVAL);
	assert_non_null(strstr(store_error(s), "boom refused"));

	assert_int_equal(store_version(s), 0);
	assert_int_equal(store_count(s, NULL), 0);
	assert_string_equal(changes(s, 0, 0, &l), "");
	/* The store is usable again. */
	assert_int_equal(store_begin(s), 0);
	put_ok(s, "ok", "a", "1", STORE_OP_CREATE);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(store_version(s), 1);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_update_unchanged_delete),
		cmocka_unit_test(test_empty_blob),
		cmocka_unit_test(test_mutation_outside_transaction_is_einval),
		cmocka_unit_test(test_rollback_leaves_no_trace),
		cmocka_unit_test(test_delete_missing_is_enoent),
		cmocka_unit_test(test_foreach_order_and_early_stop),
		cmocka_unit_test(test_callbacks_may_read_only),
		cmocka_unit_test(test_changes_pagination),
		cmocka_unit_test(test_meta),
		cmocka_unit_test_setup_teardown(test_file_reopen_keeps_state_mode_0600, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrates_v1_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_non_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_foreign_database_and_bad_paths, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_mutation_spoils_transaction, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
