/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wycheproof_sig.h - the signature half of the Wycheproof runner
 * (build/tests/wycheproof): ECDSA (P1363 and DER), RSASSA-PKCS1-v1_5,
 * RSASSA-PSS and Ed25519 verification files, run through id_sig.
 */
#ifndef SB_WYCHEPROOF_SIG_H
#define SB_WYCHEPROOF_SIG_H

#include <stdbool.h>

#include <jansson.h>

/* wyc_sig_handles: |root|'s "algorithm" is a signature one (this file's). */
bool wyc_sig_handles(json_t *root);

/*
 * wyc_sig_run runs every case of the signature file |root| (read from
 * |path|) and adds to *passed and *failed; prints a line per failure (and
 * per pass with |verbose|) and a summary. Returns 0, or -1 when the file
 * could not be run (a schema error or a kind id_sig has no algorithm for;
 * reported, and nothing is added).
 */
int wyc_sig_run(const char *path, json_t *root, bool verbose, unsigned long *passed,
		unsigned long *failed);

#endif
