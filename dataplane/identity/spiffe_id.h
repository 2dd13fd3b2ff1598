/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spiffe_id.h - SPIFFE ID parser and validator (SPIFFE-ID standard; the
 * rules are summarised in shared/reference/spiffe.md, section 1).
 *
 * Form: spiffe://<trust-domain>[/<segment>...]. Strict, as go-spiffe is:
 *   - scheme exactly "spiffe" (lowercase), then "://";
 *   - trust domain 1..SPIFFE_TD_MAX bytes of [a-z0-9._-] (no uppercase, no
 *     userinfo, no port, no percent-encoding, no IP literal brackets);
 *   - path segments of [a-zA-Z0-9._-], none empty ("//", trailing "/"),
 *     none exactly "." or ".."; no query, no fragment;
 *   - the whole ID at most SPIFFE_ID_MAX bytes; any byte >= 0x80 refused.
 * Since nothing is normalised, two valid IDs are equal iff their bytes are.
 *
 * Pure functions on the caller's bytes: no allocation, reentrant.
 */
#ifndef SB_SPIFFE_ID_H
#define SB_SPIFFE_ID_H

#include <stdbool.h>
#include <stddef.h>

#define SPIFFE_ID_MAX 2048	/* bytes of a whole ID we accept */
#define SPIFFE_TD_MAX 255	/* bytes of a trust domain name */
#define SPIFFE_SCHEME "spiffe://"

/* A parsed ID: views into the parsed string. */
struct spiffe_id {
	const char *td;		/* the trust domain, not NUL-terminated */
	size_t td_len;
	const char *path;	/* "" or "/seg/seg", not NUL-terminated */
	size_t path_len;
};

/*
 * spiffe_id_parse checks |len| bytes at |s| (no NUL needed; an embedded
 * NUL is an invalid character) and fills |out| (may be NULL). Returns 0, or
 * -EINVAL with |*why| (may be NULL) set to a static reason in words, e.g.
 * "trust domain has an invalid character".
 */
int spiffe_id_parse(const char *s, size_t len, struct spiffe_id *out, const char **why);

/*
 * spiffe_td_check checks a bare trust domain name (what bundles and
 * `--trust-domain` carry): 0, or -EINVAL with |*why|.
 */
int spiffe_td_check(const char *td, size_t len, const char **why);

/* spiffe_id_in_td: |id| (valid) is in trust domain |td| (exact, bytewise). */
bool spiffe_id_in_td(const struct spiffe_id *id, const char *td, size_t td_len);

#endif
