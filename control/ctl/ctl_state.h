/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_state.h - the control process's desired state: the SQLite store, the
 * validated model built from it, and the compiled snapshot published to the
 * data plane through shared memory.
 *
 * Every change (a bulk Apply, one object's create, update or delete) is
 * validated before anything changes; if it does not validate, nothing
 * changes and the reason is returned. Otherwise the changes are written to
 * the store in one transaction, the model is updated and its compiled
 * snapshot is published (at once, or from ctl_state_tick when the data
 * plane has not yet released the other slot).
 *
 * A single object's change that pol_model_edit_check accepts is applied to
 * the model in place and patched into the compiled image (pol_db_patch):
 * one agent's change costs the same with a million agents as with ten.
 * Anything else (Apply, structural changes such as a new app or tenant)
 * builds a candidate model from every object and compiles it in full.
 *
 * Thread context: one thread (the control process's event loop).
 */
#ifndef SB_CTL_STATE_H
#define SB_CTL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pol_model.h"

struct ctl_state;

/*
 * Store kinds that are not policy objects: the policy loader skips them, and
 * the modules that own them read and write them through ctl_state_store.
 */
#define CTL_STATE_KIND_BUNDLE "bundle"	/* control/fed: a trust domain's SPIFFE bundle */

struct ctl_conf {
	const char *db_path;		/* SQLite file, or ":memory:" */
	const char *shm_name;		/* NULL: do not publish (tests) */
	uint64_t slot_size;		/* bytes per snapshot slot */
	/*
	 * Publish nothing until ctl_state_release: a process that sets its
	 * extra tables (bundles, MLS, seals) from its store after the open
	 * publishes them in its first snapshot, so a restarted control process
	 * never shows the data plane a snapshot without them (the data plane
	 * keeps the previous process's snapshot until then).
	 */
	bool hold;
};

/*
 * ctl_state_open opens the store (creating or migrating it), loads and
 * validates the stored policy, creates the shared-memory object and
 * publishes the current policy. Returns NULL with one line in |err|.
 */
struct ctl_state *ctl_state_open(const struct ctl_conf *conf, char *err, size_t errlen);

/* ctl_state_release ends the conf's |hold|: the pending snapshot is published (now or at a tick). */
void ctl_state_release(struct ctl_state *s);

/* ctl_state_close stops publishing; with |unlink_shm| the policy object is removed. NULL ok. */
void ctl_state_close(struct ctl_state *s, bool unlink_shm);

/* What a change did. */
struct ctl_counts {
	uint32_t created, updated, unchanged, deleted;
};

/* Modes of ctl_state_put. */
enum ctl_put_mode {
	CTL_PUT_APPLY = 0,	/* create or update */
	CTL_PUT_CREATE,		/* -EEXIST if present */
	CTL_PUT_UPDATE,		/* -ENOENT if absent */
};

/*
 * ctl_state_apply applies |p| (objects of any kinds; ids unique per kind
 * within |p|): each object is created or replaced. With |prune|, objects of
 * the kinds present in |p| that |p| does not name are deleted. With
 * |dry_run| it only validates and counts. Returns 0, -EINVAL (the reason in
 * |err|: validation, duplicate id), -EIO (store; |err|).
 */
int ctl_state_apply(struct ctl_state *s, const pb_policy *p, bool prune, bool dry_run,
		    struct ctl_counts *counts, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* ctl_state_put creates or replaces one object; -EEXIST / -ENOENT per |mode|, else as apply. */
int ctl_state_put(struct ctl_state *s, const pb_object *o, enum ctl_put_mode mode, char *err,
		  size_t errlen) __attribute__((warn_unused_result));

/*
 * ctl_state_delete deletes object |id| of kind |k|. Returns 0, -ENOENT,
 * -EINVAL when another object still refers to it (|err| says which).
 */
int ctl_state_delete(struct ctl_state *s, enum pol_kind k, const char *id, char *err,
		     size_t errlen) __attribute__((warn_unused_result));

/* ctl_state_model returns the current model (valid until the next change). */
const struct pol_model *ctl_state_model(const struct ctl_state *s);

/* ctl_state_version returns the store version of the current policy. */
uint64_t ctl_state_version(const struct ctl_state *s);

/* Publication status. */
struct ctl_pub {
	uint64_t version;		/* store version of the last published snapshot */
	uint64_t epoch;			/* its shared-memory epoch; 0: none */
	uint64_t published_ns;
	uint64_t checksum;
	uint64_t bytes;
	uint64_t acked_epoch;		/* data plane; 0: none attached */
	uint32_t changes;		/* objects changed since the previous publication */
	bool pending;			/* a newer snapshot waits for the data plane */
};

void ctl_state_pub(const struct ctl_state *s, struct ctl_pub *pub);

/* Publications kept for WatchPolicy streams that fall behind. */
#define CTL_PUB_HISTORY 1024

/*
 * ctl_state_pub_after fills |pub| with the publication that followed epoch
 * |epoch| (the oldest kept, if |epoch| is more than CTL_PUB_HISTORY behind)
 * and returns true, or returns false when nothing newer was published.
 * |pub->pending| and |pub->acked_epoch| are not set.
 */
bool ctl_state_pub_after(const struct ctl_state *s, uint64_t epoch, struct ctl_pub *pub);

/*
 * ctl_state_tick publishes a pending snapshot when the slot is free and
 * refreshes the heartbeat (call every few ms). Returns true when a new
 * epoch was published since the last call (WatchPolicy then sends it).
 */
bool ctl_state_tick(struct ctl_state *s, uint64_t now_ms);

/* How the policy was compiled (Status and bench-push report it). */
struct ctl_compile_stats {
	uint64_t full;			/* full compiles */
	uint64_t patches;		/* single changes patched into the compiled image */
	uint64_t patch_fallbacks;	/* patches that needed a full compile after all */
	uint64_t last_ns;		/* the last compile or patch */
	bool last_patched;
};

void ctl_state_compile_stats(const struct ctl_state *s, struct ctl_compile_stats *st);

/* Extra tables (kinds after the policy's) a snapshot may carry at once: MLS, BUNDLES, ... */
#define CTL_STATE_MAX_EXTRA 4

/*
 * ctl_state_set_table sets the table of kind |kind| (SB_POL_TABLE_MLS: the
 * MLS module's epoch records; SB_POL_TABLE_BUNDLES: the federation
 * module's trust bundles) that every snapshot published from now on
 * carries after the compiled policy tables: |len| bytes at |data| (copied;
 * len 0 drops the table) holding |count| entries. Up to CTL_STATE_MAX_EXTRA
 * kinds at a time, each replaced only by a call for its own kind; they are
 * laid out in kind order. The copy is wiped when replaced and on close (an
 * MLS table holds secrets). A publication follows at once, or from
 * ctl_state_tick; the store version is unchanged. Returns 0, -EINVAL (a
 * policy table's kind, or a new kind when CTL_STATE_MAX_EXTRA are set) or
 * -ENOMEM (nothing changed then).
 */
int ctl_state_set_table(struct ctl_state *s, uint32_t kind, const void *data, size_t len,
			uint64_t count) __attribute__((warn_unused_result));

/*
 * ctl_state_store returns the store: read access for ChangeLog and Status,
 * and the objects of kinds the policy model does not own (CTL_STATE_KIND_BUNDLE,
 * written by the federation module in transactions of its own).
 */
struct store *ctl_state_store(const struct ctl_state *s);

#endif
