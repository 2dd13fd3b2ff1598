/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.h - the control process's persistent policy store, on SQLite.
 *
 * The store keeps policy objects as opaque blobs keyed by (kind, id): the
 * caller packs them (protobuf messages) and the store never looks inside.
 * Every change to an object advances the policy version by one and appends a
 * row to the change log, so a reader can ask for "everything after version N".
 *
 * Mutations happen only inside a transaction the caller begins: one Apply of
 * many objects is one transaction, which commits or rolls back as a whole
 * (the in-memory version with it). Reads work inside and outside one; inside,
 * they see the transaction's own uncommitted writes.
 *
 * The schema is versioned: store_open applies, each in its own transaction,
 * the in-code migrations the database lacks, and refuses a database written
 * by a newer slimbridge-control.
 *
 * Thread context: one thread (the control process's loop). A struct store is
 * not safe to share between threads; store_open changes the process umask
 * for the duration of the call.
 *
 * Errors are negative errno values: -EINVAL for bad arguments or a mutation
 * outside a transaction, -ENOENT for a missing object or key, and SQLite's
 * failures mapped as SQLITE_BUSY/LOCKED -> -EBUSY, SQLITE_FULL -> -ENOSPC,
 * SQLITE_CONSTRAINT -> -EEXIST (primary key or unique) or -EINVAL (other
 * constraints), SQLITE_NOMEM -> -ENOMEM, SQLITE_TOOBIG -> -E2BIG, anything
 * else -> -EIO. store_error has the text of the last failure.
 */
#ifndef SB_STORE_H
#define SB_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

enum store_op {
	STORE_OP_UNCHANGED = 0, /* store_put only: the stored blob was byte-identical */
	STORE_OP_CREATE,
	STORE_OP_UPDATE,
	STORE_OP_DELETE,
};

/* One row of the change log; the strings are valid only during the callback. */
struct store_change {
	uint64_t version; /* the policy version this change produced */
	uint64_t time_ns; /* wall clock (CLOCK_REALTIME) at the change */
	enum store_op op; /* STORE_OP_CREATE, _UPDATE or _DELETE */
	const char *kind;
	const char *id;
};

/*
 * store_open opens the database at |path|, creating it (mode 0600) if it
 * does not exist; ":memory:" gives a private in-memory database. Files use
 * the WAL journal and synchronous=FULL. Pending schema migrations are applied.
 * Returns the store, or NULL with a one-line message in |err| (up to |errlen|
 * bytes, NUL-terminated; |err| may be NULL) when the file cannot be opened,
 * is not a database or not a slimbridge store, has a schema newer than this
 * code supports, or a migration failed (the failed migration leaves no trace).
 * The caller frees the store with store_close.
 */
struct store *store_open(const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/*
 * store_close rolls back an open transaction, closes the database and frees
 * |s|. NULL is accepted.
 */
void store_close(struct store *s);

/*
 * store_path returns the path |s| was opened with; owned by |s|, valid until
 * store_close.
 */
const char *store_path(const struct store *s);

/*
 * store_error returns the message of the last failure on |s| ("" when none);
 * owned by |s|, valid until the next call on |s|.
 */
const char *store_error(const struct store *s);

/* store_schema_version returns the schema version of the open database. */
unsigned store_schema_version(const struct store *s);

/* store_schema_latest returns the newest schema version this code knows. */
unsigned store_schema_latest(void);

/*
 * store_version returns the current policy version: that of the last change,
 * including uncommitted changes of the open transaction; 0 on a new database.
 */
uint64_t store_version(const struct store *s);

/*
 * store_begin starts a write transaction. It takes the database's write lock
 * at once, waiting up to 5 s for another connection to release it. Returns 0,
 * -EINVAL if a transaction is already open (there is no nesting), -EBUSY if
 * the lock could not be had, or another negative errno.
 */
int store_begin(struct store *s) __attribute__((warn_unused_result));

/*
 * store_commit makes the open transaction durable. Returns 0, -EINVAL when no
 * transaction is open, or a negative errno; on failure the transaction has
 * been rolled back (objects, changes and the version are as before
 * store_begin). If a mutation in the transaction failed, store_commit rolls
 * back and returns that mutation's error.
 */
int store_commit(struct store *s) __attribute__((warn_unused_result));

/*
 * store_rollback discards the open transaction: its objects, change rows,
 * meta values and version increments. Does nothing when none is open.
 */
void store_rollback(struct store *s);

/*
 * store_put creates or replaces object (|kind|, |id|) with the |len| bytes at
 * |spec| (which may be NULL when |len| is 0); the bytes are copied. If the
 * stored blob is byte-identical nothing is written and |*op| is
 * STORE_OP_UNCHANGED; otherwise the version advances by one, a change row is
 * appended and |*op| is STORE_OP_CREATE or STORE_OP_UPDATE. |op| may be NULL.
 * Returns 0, -EINVAL for bad arguments (NULL or empty |kind| or |id|) or no
 * open transaction, or a negative errno; after such a failure past the
 * argument checks the transaction can only be rolled back (see store_commit).
 */
int store_put(struct store *s, const char *kind, const char *id, const void *spec, size_t len,
	      enum store_op *op) __attribute__((warn_unused_result));

/*
 * store_delete removes object (|kind|, |id|), advances the version by one and
 * logs a 'delete' change. Returns 0, -ENOENT if there is no such object
 * (nothing is written; the transaction stays usable), -EINVAL for bad
 * arguments or no open transaction, or a negative errno (the transaction can
 * then only be rolled back).
 */
int store_delete(struct store *s, const char *kind, const char *id)
	__attribute__((warn_unused_result));

/*
 * store_get copies object (|kind|, |id|) into a new buffer: |*spec| (malloc'd,
 * the caller frees it; non-NULL even for 0 bytes) and |*len|. Returns 0,
 * -ENOENT if there is no such object, -EINVAL for bad arguments, -ENOMEM, or
 * another negative errno; |*spec| is untouched on failure.
 */
int store_get(struct store *s, const char *kind, const char *id, void **spec, size_t *len)
	__attribute__((warn_unused_result));

/*
 * store_foreach calls |cb| for every object of |kind| (NULL: of all kinds) in
 * (kind, id) order, comparing bytes. The pointers passed to |cb| are valid
 * only during the call. |cb| may read (store_get, store_count,
 * store_meta_get); mutations, store_begin, store_commit, store_foreach and
 * store_changes return -EBUSY there, and it must not call store_rollback.
 * Returns 0 after the last object, the first non-zero value |cb| returned
 * (iteration stops there), or a negative errno.
 */
int store_foreach(struct store *s, const char *kind,
		  int (*cb)(const char *kind, const char *id, const void *spec, size_t len,
			    void *arg),
		  void *arg) __attribute__((warn_unused_result));

/*
 * store_changes calls |cb| for the change rows with version > |since| in
 * ascending version order, at most |limit| of them (0: no limit). The change
 * passed to |cb| is valid only during the call; |cb| has the same limits as
 * store_foreach's. Returns 0 when the rows are exhausted or |limit| is
 * reached, the first non-zero value |cb| returned (stopping there), or a
 * negative errno. To page, pass the last version seen as the next |since|.
 */
int store_changes(struct store *s, uint64_t since, uint32_t limit,
		  int (*cb)(const struct store_change *c, void *arg), void *arg)
	__attribute__((warn_unused_result));

/*
 * store_count returns the number of objects of |kind| (NULL: of all kinds),
 * or a negative errno.
 */
int store_count(struct store *s, const char *kind) __attribute__((warn_unused_result));

/*
 * store_meta_set sets meta |key| to |value| (NULL removes the key) inside the
 * open transaction; meta values do not advance the version. Returns 0,
 * -EINVAL for a NULL or empty key or no open transaction, or a negative errno
 * (the transaction can then only be rolled back).
 */
int store_meta_set(struct store *s, const char *key, const char *value)
	__attribute__((warn_unused_result));

/*
 * store_meta_get copies meta |key|'s value, NUL-terminated, into |buf| of
 * |len| bytes. Returns 0, -ENOENT if the key is absent, -ERANGE if the value
 * does not fit (|buf| then holds ""), -EINVAL for bad arguments, or another
 * negative errno.
 */
int store_meta_get(struct store *s, const char *key, char *buf, size_t len)
	__attribute__((warn_unused_result));

/* store_op_name returns "unchanged", "create", "update" or "delete" ("?" otherwise). */
const char *store_op_name(enum store_op op);

#endif
