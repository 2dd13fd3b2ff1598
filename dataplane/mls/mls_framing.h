/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mls_framing.h - protecting and unprotecting MLS messages of every content
 * type (RFC 9420 sections 6.1-6.3): PublicMessage (signature, and the
 * membership tag of a member sender) and PrivateMessage (signature inside,
 * the content sealed under the sender's handshake or application ratchet,
 * the sender data sealed under sender_data_secret). The control process
 * frames its proposals and commits with these; the data plane's bursts of
 * application messages use mls_app.h (the same wire format, faster).
 *
 * Sans-I/O: input bytes in, an MLSMessage appended to a caller writer out.
 * Decoded results hold views into the input and into arena memory (the
 * decrypted content of a PrivateMessage lives in the arena).
 *
 * Errors: -EINVAL bad arguments or a content the wire format does not
 * carry (an application message as a PublicMessage, section 6.2); -EBADMSG
 * malformed input, a bad signature, membership tag or AEAD tag, nonzero
 * padding; -ESTALE another group or epoch; -ENOENT the sender is unknown or
 * the generation's key is gone; -ERANGE the generation is too far ahead;
 * -ENOSPC the writer is full; -ENOMEM; crypto errors (mls_crypto.h).
 */
#ifndef SB_MLS_FRAMING_H
#define SB_MLS_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mls_arena.h"
#include "mls_codec.h"
#include "mls_crypto.h"
#include "mls_msg.h"
#include "mls_secret_tree.h"

/* The epoch state the framing needs (all borrowed). */
struct mls_framing_epoch {
	const struct mls_suite *suite;
	const struct mls_group_context *context;	/* group_id and epoch come from here */
	const uint8_t *membership_key;			/* Nh bytes */
	const uint8_t *sender_data_secret;		/* Nh bytes */
	struct mls_secret_tree *secret_tree;		/* PrivateMessage ratchets */
	/* The signature key of a sender (the leaf's, or an external sender's); NULL: unknown. */
	EVP_PKEY *(*sender_key)(void *arg, const struct mls_sender *sender);
	void *sender_key_arg;
	/*
	 * Optional: when |staged| is not NULL, unprotecting a PrivateMessage
	 * leaves the secret tree's ratchet as it was and writes the advanced
	 * copy to |*staged| and the ratchet's address to |*staged_at|; the
	 * caller stores it (**staged_at = *staged) once it has accepted the
	 * message, so a message refused later (a Commit that fails to verify)
	 * can be retried. NULL: the ratchet advances as soon as the content
	 * opens.
	 */
	struct mls_ratchet *staged;
	struct mls_ratchet **staged_at;
};

/*
 * mls_framing_protect frames |content| (its group_id and epoch must be the
 * epoch's) as an MLSMessage of |wire_format| (MLS_WIRE_PUBLIC_MESSAGE or
 * MLS_WIRE_PRIVATE_MESSAGE) signed with |sig_priv|, appended to |w|. A
 * commit carries |confirmation_tag| (Nh bytes; NULL otherwise). A
 * PrivateMessage gets |padding| zero bytes and only a member sender may
 * send one. Returns 0 or a negative errno; on an error |w|'s contents past
 * its old length are undefined.
 */
int mls_framing_protect(const struct mls_framing_epoch *ep, uint16_t wire_format,
			const struct mls_framed_content *content,
			const uint8_t *confirmation_tag, EVP_PKEY *sig_priv, size_t padding,
			struct mls_writer *w) __attribute__((warn_unused_result));

/*
 * A Commit's signature must exist before its confirmation tag can be
 * computed (the tag covers the confirmed transcript hash, which covers the
 * signature; section 8.2), so a committer signs first with
 * mls_framing_sign (the FramedContentTBS of |content| in |wire_format|,
 * into |sig|, |cap| >= MLS_MAX_SIG) and frames the finished
 * AuthenticatedContent with mls_framing_protect_signed (its signature and,
 * for a commit, its Nh-byte confirmation tag set). Same errors as
 * mls_framing_protect.
 */
int mls_framing_sign(const struct mls_framing_epoch *ep, uint16_t wire_format,
		     const struct mls_framed_content *content, EVP_PKEY *sig_priv,
		     uint8_t *sig, size_t cap, size_t *sig_len) __attribute__((warn_unused_result));
int mls_framing_protect_signed(const struct mls_framing_epoch *ep,
			       const struct mls_authenticated_content *ac, size_t padding,
			       struct mls_writer *w) __attribute__((warn_unused_result));

/*
 * mls_framing_unprotect opens the MLSMessage |msg| (a PublicMessage or
 * PrivateMessage of the epoch) into |out|: checks the group and epoch, the
 * membership tag (member senders of a PublicMessage), decrypts a
 * PrivateMessage (sender data, ratchet generation, reuse guard, padding)
 * and verifies the signature with ep->sender_key. |a| holds what |out|
 * points to besides |msg|. Returns 0 or a negative errno.
 */
int mls_framing_unprotect(const struct mls_framing_epoch *ep, const uint8_t *msg, size_t len,
			  struct mls_arena *a, struct mls_authenticated_content *out)
	__attribute__((warn_unused_result));

#endif
