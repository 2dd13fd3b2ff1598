/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_mls_internal.h - inside the MLS module: shared by ctl_mls.c (state,
 * the methods answered at once, publication) and ctl_mls_ops.c (the
 * operations that call other control processes, and the outbound calls).
 */
#ifndef SB_CTL_MLS_INTERNAL_H
#define SB_CTL_MLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.pb-c.h"
#include "ctl_mls.h"
#include "grpc_server.h"
#include "mls_group.h"

#define CTL_MLS_MAX_NAME 64		/* characters of a group name */
#define CTL_MLS_MAX_ENDPOINT 80		/* characters of HOST:PORT */

typedef Slimbridge__Control__V1__MlsGroupState pb_mls_state;

/* The Mls* methods, in the order of their names in ctl_mls.c. */
enum ctl_mls_method {
	CTL_MLS_M_KEY_PACKAGE,
	CTL_MLS_M_WELCOME,
	CTL_MLS_M_COMMIT,
	CTL_MLS_M_CREATE,
	CTL_MLS_M_ADD,
	CTL_MLS_M_REMOVE,
	CTL_MLS_M_UPDATE,
	CTL_MLS_M_GET,
	CTL_MLS_M_LIST,
	CTL_MLS_M_LEAVE,
	CTL_MLS_M_MAX,
};

/* Where a member takes deliveries. */
struct ctl_mls_ep {
	char *identity;
	char *endpoint;
};

struct ctl_mls_op;
struct ctl_mls_oconn;

struct ctl_mls_group {
	char name[MLS_GROUP_MAX_ID + 1];	/* operator groups: CTL_MLS_MAX_NAME at most */
	struct mls_group *g;		/* never NULL */
	struct ctl_mls_ep *eps;
	size_t n_eps;
	struct ctl_mls_op *op;		/* the operation in flight, or NULL */
	bool managed;			/* another module's (ctl_mls_managed_put, hooks) */
	bool no_export;			/* its epoch record stays out of the MLS table */
};

/* One server call of an Mls* method. */
struct ctl_mls_call {
	struct ctl_mls *m;
	struct grpc_call *call;
	int method;
	bool got_request;
	bool half_closed;
	bool replied;			/* the response is sent; finish at half-close */
	struct ctl_mls_op *op;		/* the operation that will answer, or NULL */
};

struct ctl_mls {
	struct ctl_mls_conf conf;
	char *identity;
	char *endpoint;
	struct ctl_state *st;
	struct h2_sock_loop *loop;
	struct mls_signer *signers[8];	/* by cipher suite id, made when first needed */
	struct mls_kp *kps[CTL_MLS_MAX_KPS];	/* oldest first */
	uint32_t n_kps;
	struct ctl_mls_group **groups;
	size_t n_groups;
	struct ctl_mls_op *ops;		/* in flight */
	struct ctl_mls_oconn *oconns;	/* outbound connections, freed once the loop closed them */
	bool stopped;
	struct ctl_mls_slot *slots;
	struct ctl_mls_hooks hooks;	/* managed groups; owns NULL: none */
};

/* ---- ctl_mls.c ---- */

/* Finds group |name|, or NULL. */
struct ctl_mls_group *ctl_mls_group_find(struct ctl_mls *m, const char *name);

/* Adds an empty group |name| (no mls_group yet); NULL without memory or room. */
struct ctl_mls_group *ctl_mls_group_add(struct ctl_mls *m, const char *name);

/* Removes |grp| from the list and frees it (its group state wiped). */
void ctl_mls_group_drop(struct ctl_mls *m, struct ctl_mls_group *grp);

/* The signing identity for suite |id| (made when first needed), or NULL. */
struct mls_signer *ctl_mls_signer(struct ctl_mls *m, uint16_t id);

/* True for a group name: 1..CTL_MLS_MAX_NAME of A-Z a-z 0-9 . _ : - */
bool ctl_mls_name_ok(const char *s, size_t len);

/* True when group id |gid| is a managed group's (the hooks own it). */
bool ctl_mls_is_managed(const struct ctl_mls *m, const uint8_t *gid, size_t len);

/*
 * Rebuilds the directory of |grp| from its members: each member's endpoint
 * is looked up by identity in the old directory and in |extra| (n entries).
 */
int ctl_mls_dir_rebuild(struct ctl_mls *m, struct ctl_mls_group *grp,
			const struct ctl_mls_ep *extra, size_t n)
	__attribute__((warn_unused_result));

/*
 * Takes the directory a delivery carries (the sender knows every member's
 * endpoint): it replaces |grp|'s, for the members the group has.
 */
int ctl_mls_dir_take(struct ctl_mls *m, struct ctl_mls_group *grp,
		     Slimbridge__Control__V1__MlsEndpoint *const *v, size_t n)
	__attribute__((warn_unused_result));

/* The endpoint of member |identity| in |grp|'s directory, or NULL. */
const char *ctl_mls_dir_find(const struct ctl_mls_group *grp, const char *identity);

/* Fills the directory fields of a delivery request (pointers into |grp|; free the array). */
Slimbridge__Control__V1__MlsEndpoint **ctl_mls_dir_pb(const struct ctl_mls_group *grp,
						      Slimbridge__Control__V1__MlsEndpoint *store);

/* Member |leaf|'s identity as a printable string (malloc'd), or NULL. */
char *ctl_mls_member_identity(const struct mls_group *g, uint32_t leaf);

/* Publishes the epoch records of every group (SB_POL_TABLE_MLS). Logs a failure. */
void ctl_mls_publish(struct ctl_mls *m);

/*
 * Replies to |c| with |grp|'s state and |undelivered| (n). The call may be
 * freed before this returns.
 */
void ctl_mls_reply_state(struct ctl_mls_call *c, const struct ctl_mls_group *grp,
			 char *const *undelivered, size_t n);

/* Ends |c| with |status| and |msg| (the call may be freed before this returns). */
void ctl_mls_fail(struct ctl_mls_call *c, int status, const char *msg);

/* ---- ctl_mls_methods.c ---- */

/* Runs method c->method on its request |msg| (answers now, or starts an operation). */
void ctl_mls_method(struct ctl_mls_call *c, const uint8_t *msg, size_t len);

/* ---- ctl_mls_ops.c ---- */

enum ctl_mls_op_kind {
	CTL_MLS_OP_CREATE,
	CTL_MLS_OP_ADD,
	CTL_MLS_OP_REMOVE,
	CTL_MLS_OP_UPDATE,
};

/*
 * ctl_mls_op_start runs operation |kind| on |grp| for caller |c|: |peers|
 * are the endpoints to add (Create, Add), |ids| the identities to remove
 * (Remove); both copied. |suite| is the new group's (Create). Answers |c|
 * now or later.
 */
void ctl_mls_op_start(struct ctl_mls *m, struct ctl_mls_call *c, enum ctl_mls_op_kind kind,
		      struct ctl_mls_group *grp, char *const *peers, size_t n_peers,
		      char *const *ids, size_t n_ids, uint16_t suite);

/* ctl_mls_op_abandon ends every operation (callers get UNAVAILABLE) and detaches their calls. */
void ctl_mls_op_abandon(struct ctl_mls *m);

/* ctl_mls_ops_cleanup frees what is left of the outbound connections (after the loop is gone). */
void ctl_mls_ops_cleanup(struct ctl_mls *m);

/* ctl_mls_caller_gone: the caller of |op| went away (its call is over). */
void ctl_mls_caller_gone(struct ctl_mls_op *op);

/*
 * ctl_mls_endpoint_parse splits "HOST:PORT" (IPv4 literal, or IPv6 in
 * brackets) into |host| (|cap| bytes) and |*port|. Returns 0 or -EINVAL.
 */
int ctl_mls_endpoint_parse(const char *ep, char *host, size_t cap, uint16_t *port)
	__attribute__((warn_unused_result));

#endif
