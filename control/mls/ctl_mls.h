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

#endif
