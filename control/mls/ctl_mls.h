/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_mls.h - MLS (RFC 9420) groups between control processes: the
 * ControlService's Mls* methods (proto/control/control.proto), the group
 * state (dataplane/mls/mls_group.h), the calls to other control processes
 * that carry KeyPackages, Welcomes and Commits, and the epoch records
 * published to the data plane (SB_POL_TABLE_MLS, mls_export.h).
 *
 * Who talks to whom. Every control process is a member with one signing
 * identity per cipher suite (a basic credential holding conf->identity)
 * and serves three delivery methods: MlsKeyPackage (makes a fresh
 * KeyPackage and keeps its private keys, up to CTL_MLS_MAX_KPS, oldest
 * dropped first), MlsWelcome (joins with one of them) and MlsCommit
 * (mls_group_handle). The operator's methods run at the member that
 * commits: MlsGroupCreate and MlsGroupAdd fetch a KeyPackage from each
 * peer, then commit the Adds; MlsGroupRemove and MlsGroupUpdate commit a
 * Remove or an UpdatePath; the Welcome then goes to the new members and
 * the Commit to every other member (their endpoints travel with each
 * delivery), and the call answers once every delivery has answered. A
 * delivery that fails does not undo the epoch: the answer lists the
 * members it missed ("undelivered").
 *
 * The outbound calls are asynchronous on the control process's own event
 * loop (h2_sock, grpc_client): nothing waits, so A calling B while B calls
 * A cannot deadlock, and the API keeps serving meanwhile. Each call has a
 * deadline of conf->timeout_ms; the TCP connect itself is blocking (as in
 * h2_sock_connect) but is preceded by a non-blocking probe bounded by
 * CTL_MLS_CONNECT_MS, so an unreachable peer stalls the loop that long at
 * most. One operation per group at a time (ABORTED otherwise). Ordering
 * of concurrent commits from different members of one group is not
 * arbitrated (there is no Delivery Service): the loser's Commit is refused
 * with FAILED_PRECONDITION at the others.
 *
 * State lives in memory only: a restarted control process has no groups
 * (and no data plane records for them).
 *
 * Secrets (KeyPackage private keys, group secrets, epoch records) are
 * wiped when dropped (mls_group.h, mls_export_free, policy_mls_free);
 * nothing secret is logged.
 *
 * Thread context: the event loop's thread.
 */
#ifndef SB_CTL_MLS_H
#define SB_CTL_MLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_MLS_MAX_KPS 32		/* KeyPackages waiting for a Welcome */
#define CTL_MLS_MAX_GROUPS 1024
#define CTL_MLS_MAX_PEERS 64		/* peers per Create or Add */
#define CTL_MLS_CONNECT_MS 2000		/* bound of the connect probe */
#define CTL_MLS_TIMEOUT_MS 5000		/* default deadline per outbound call */

struct ctl_mls;
struct ctl_state;
struct grpc_server;
struct h2_sock_loop;

struct ctl_mls_conf {
	const char *identity;		/* member identity (basic credential) */
	const char *endpoint;		/* HOST:PORT this control API is reached at */
	uint32_t timeout_ms;		/* per outbound call; 0: CTL_MLS_TIMEOUT_MS */
};

/*
 * ctl_mls_new makes the MLS module for |st| (where epoch records are
 * published) on |loop| (for outbound calls) and registers the Mls* methods
 * on |srv|. Returns NULL with one line in |err|.
 */
struct ctl_mls *ctl_mls_new(const struct ctl_mls_conf *conf, struct ctl_state *st,
			    struct grpc_server *srv, struct h2_sock_loop *loop, char *err,
			    size_t errlen);

/*
 * ctl_mls_stop abandons operations in flight (their callers get
 * UNAVAILABLE) and starts no outbound call any more: call it before the
 * loop is freed, which closes the connections.
 */
void ctl_mls_stop(struct ctl_mls *m);

/* ctl_mls_free wipes and frees |m| (after the loop and the server). NULL ok. */
void ctl_mls_free(struct ctl_mls *m);

/*
 * ---- For other control modules: managed groups --------------------------
 *
 * Another module (control/trust: the seal groups between two bridges) may
 * run groups of its own through this one: it makes and commits them with
 * mls_group.h, hands them here (ctl_mls_managed_put) so that their epoch
 * records are published and the deliveries for them (MlsWelcome,
 * MlsCommit) reach them, and calls other control processes through
 * ctl_mls_call. Its hooks decide which group ids are its own and vet every
 * delivery for them: a Welcome whose group it refuses is dropped, a Commit
 * it refuses is undone (the group stays at its epoch), and proposals are
 * refused. The operator's methods leave managed groups alone (Get and List
 * show them; Add, Remove, Update, Leave answer FAILED_PRECONDITION).
 */

struct mls_group;
struct mls_signer;
struct ProtobufCMessage;
struct ctl_mls_ocall;

struct ctl_mls_hooks {
	/* True when group id |gid| belongs to the hooks' module. */
	bool (*owns)(void *arg, const uint8_t *gid, size_t len);
	/*
	 * A delivery moved managed group |name| to |g|: a Welcome (|joined|)
	 * or a Commit. 0 takes it; a negative errno with a reason in |why|
	 * refuses it (the caller gets PERMISSION_DENIED with that reason).
	 */
	int (*check)(void *arg, const char *name, const struct mls_group *g, bool joined,
		     char *why, size_t whylen);
	/* Managed group |name| was taken, moved to a new epoch, or dropped (|g| NULL). */
	void (*changed)(void *arg, const char *name, const struct mls_group *g);
	void *arg;
};

/* ctl_mls_set_hooks installs |h| (copied; NULL removes them). */
void ctl_mls_set_hooks(struct ctl_mls *m, const struct ctl_mls_hooks *h);

/*
 * ctl_mls_set_signer_key makes this member sign in cipher suite |suite|
 * with the raw private key |priv| (mls_crypto.h's format) from now on:
 * KeyPackages answered to MlsKeyPackage for that suite, and groups made
 * with ctl_mls_signer_get. Returns 0, -EINVAL or a crypto error.
 */
int ctl_mls_set_signer_key(struct ctl_mls *m, uint16_t suite, const uint8_t *priv, size_t len)
	__attribute__((warn_unused_result));

/* ctl_mls_signer_get returns this member's signer for |suite| (made when first needed), or NULL. */
const struct mls_signer *ctl_mls_signer_get(struct ctl_mls *m, uint16_t suite);

/* ctl_mls_identity returns this member's identity; ctl_mls_endpoint where it takes deliveries. */
const char *ctl_mls_identity(const struct ctl_mls *m);
const char *ctl_mls_endpoint(const struct ctl_mls *m);

/*
 * ctl_mls_managed_put takes |g| (ownership passes on success only) as
 * managed group |name| (its group id, 1..MLS_GROUP_MAX_ID bytes), replacing
 * (and wiping) the group of that name if there is one; |peer_endpoint| is
 * where its other member takes deliveries (may be NULL). The epoch records
 * are published (unless |export| is false: the group's record then stays
 * out of the MLS table). Returns 0, -EINVAL, -EBUSY (an operator's
 * operation runs on that name) or -ENOMEM / -ENOSPC.
 */
int ctl_mls_managed_put(struct ctl_mls *m, const char *name, struct mls_group *g,
			const char *peer_endpoint, bool export) __attribute__((warn_unused_result));

/* ctl_mls_managed_get returns managed group |name| (borrowed: valid until the next change), or NULL. */
struct mls_group *ctl_mls_managed_get(struct ctl_mls *m, const char *name);

/*
 * ctl_mls_managed_export sets whether |name|'s epoch record goes into the
 * MLS table (republishing when that changes). -ENOENT when there is no
 * such managed group.
 */
int ctl_mls_managed_export(struct ctl_mls *m, const char *name, bool export);

/* ctl_mls_managed_drop forgets managed group |name| here (no Commit) and republishes. */
void ctl_mls_managed_drop(struct ctl_mls *m, const char *name);

/*
 * ctl_mls_managed_names returns the names of the managed groups (a
 * malloc'd array of malloc'd strings; free with ctl_mls_names_free) and
 * their number in |*n|. NULL with *n 0 when there are none or no memory.
 */
char **ctl_mls_managed_names(struct ctl_mls *m, size_t *n);
void ctl_mls_names_free(char **v, size_t n);

/* The outcome of a call: |status| a gRPC status, |resp| the response message when OK. */
typedef void (*ctl_mls_call_done_fn)(void *arg, int status, const char *message,
				     const uint8_t *resp, size_t len);

/*
 * ctl_mls_call calls ControlService method |method| at |endpoint|
 * ("HOST:PORT", an IP literal) with |req| on the event loop, with the
 * module's deadline; |done| gets the outcome exactly once, later (never
 * from inside this function), unless ctl_mls_call_forget comes first.
 * Returns the call, or NULL with a reason in |why| when it could not
 * start (the connect probe is bounded by CTL_MLS_CONNECT_MS).
 */
struct ctl_mls_ocall *ctl_mls_call(struct ctl_mls *m, const char *endpoint, const char *method,
				   const struct ProtobufCMessage *req, ctl_mls_call_done_fn done,
				   void *arg, char *why, size_t whylen);

/* ctl_mls_call_forget: |done| will not be called for |oc| (the call runs to its end). */
void ctl_mls_call_forget(struct ctl_mls_ocall *oc);

#endif
