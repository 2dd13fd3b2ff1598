/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trust.h - the seal of each trust relationship (docs/federation.md,
 * "Seal establishment" and "Rekey"): an MLS group between the control
 * processes of the two bridges whose exported epoch secrets the data plane
 * seals the cross-boundary hop with, published in the SEALS table of every
 * snapshot (policy_seals.h, SB_POL_TABLE_SEALS).
 *
 * Who does what. For every trust relationship that is neither revoked nor
 * suspended and names a peerTrustDomain, a SLIM endpoint (an IP literal)
 * and whose peer bundle is current, the bridge whose own trust domain
 * sorts lower (ctl_trust_sched_creator) creates the group
 * "sbseal:LOW|HIGH:INCARNATION" in cipher suite 2, signed with its bridge
 * key (conf->bridge_key): it fetches a KeyPackage from the peer's control
 * API (MlsKeyPackage), commits the Add and delivers the Welcome
 * (MlsWelcome); the other bridge joins from it. Each side takes the other's
 * leaf only when its signature key is a "slimbridge-bridge" JWK of the
 * other trust domain's current SPIFFE bundle (ctl_trust_key.h); a group
 * that stops meeting that (a bundle rotated the key away) is dropped and
 * made again. One group per peer trust domain: of several trusts naming
 * it, the one with the smallest id holds the group and the others' SEALS
 * entries share it. The joiner asks the creator to (re)establish or to rekey with
 * TrustSealPoke; the creator retries failed attempts with backoff
 * (ctl_trust_sched_backoff_ms).
 *
 * Rekey. The creator commits an UpdatePath when ctl_trust_sched_rekey says
 * so (interval, messages sealed in the epoch, a new data plane in MLS mode,
 * the data plane's or the peer's request). The new epoch is published at
 * once with SB_POL_SEAL_F_SEND_PREV (our data plane receives both epochs
 * and sends with the old one), the Commit is delivered once our data plane
 * has acknowledged that publication, and send-prev is cleared once the
 * peer says its data plane has the new epoch (TrustSealPoke, installed; at
 * the latest CTL_TRUST_SEND_PREV_GRACE_MS after its answer). The previous
 * epoch's secret stays in the entry (prev_epoch) until the next rekey.
 *
 * Revoke, delete. A trust that is revoked, suspended, deleted or changes
 * its peer trust domain loses its SEALS entry and its group (left locally:
 * no Commit). TrustRevoke takes the entry out of the snapshot before the
 * state change is published. A later re-add makes a new group (a new
 * incarnation).
 *
 * The data plane. Its status object (NAME.status: reader_token) and its
 * bridge object (NAME.bridge: per trust the breaker, the link and the
 * counters) are read every CTL_TRUST_SCAN_MS; TrustStatus reports them.
 *
 * API: TrustStatus, TrustRevoke (the operator's) and TrustSealPoke (the
 * peer bridge's), registered on the control API's server.
 *
 * Logging: one line per event on stderr, "slimbridge-control: trust ID: ...";
 * no secret, no key material.
 *
 * State lives in memory (as ctl_mls's groups): a restarted control process
 * makes its seal groups anew.
 *
 * Secrets: the seal secrets are wiped when replaced and on free (and the
 * SEALS table copies by policy_seals_free / ctl_state).
 *
 * Thread context: the event loop's thread.
 */
#ifndef SB_CTL_TRUST_H
#define SB_CTL_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_TRUST_SCAN_MS 200		/* seals and the data plane's objects are looked at this often */

struct ctl_trust;
struct ctl_state;
struct ctl_mls;
struct ctl_fed;
struct grpc_server;

struct ctl_trust_conf {
	const char *trust_domain;	/* ours (--trust-domain); NULL: no seal can be made */
	const char *bridge_key;		/* --bridge-key: PEM P-256 private key; NULL: none */
	const char *shm_name;		/* NAME of NAME.status and NAME.bridge */
};

/*
 * ctl_trust_new loads the bridge key (and makes it the signer of |mls| in
 * cipher suite 2), installs the managed-group hooks on |mls|, registers the
 * Trust* methods on |srv| and follows the trusts of |st| from its first
 * tick. |fed| gives the bundles. Returns NULL with one line in |err| (an
 * unreadable or invalid key, no memory).
 */
struct ctl_trust *ctl_trust_new(const struct ctl_trust_conf *conf, struct ctl_state *st,
				struct ctl_mls *mls, struct ctl_fed *fed, struct grpc_server *srv,
				char *err, size_t errlen);

/*
 * ctl_trust_tick does the module's work at |now_ms| (monotonic): follows
 * policy changes, establishes and rekeys seals, and publishes the SEALS
 * table when it changed. Call on every loop turn (after ctl_fed_tick).
 */
void ctl_trust_tick(struct ctl_trust *t, uint64_t now_ms);

/* ctl_trust_stop answers nothing more and forgets the calls in flight: call before the loop is freed. */
void ctl_trust_stop(struct ctl_trust *t);

/* ctl_trust_free wipes and frees |t| (after the loop and the server). NULL ok. */
void ctl_trust_free(struct ctl_trust *t);

/*
 * ctl_trust_print_jwk writes the JWK of the bridge key in PEM file |path|
 * (one line, "use": "slimbridge-bridge") to |out|, for the operator to add
 * to our trust domain's bundle. Returns 0, or a negative errno with |err|.
 */
int ctl_trust_print_jwk(const char *path, FILE *out, char *err, size_t errlen);

#endif
