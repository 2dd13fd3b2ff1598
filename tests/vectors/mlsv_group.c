/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_group.c - the MLS vector kinds that need Welcome processing and the
 * group state machine: welcome, passive-client-welcome,
 * passive-client-handling-commit and passive-client-random. They are
 * declared (run NULL) so the runner recognises these files and says, with
 * exit status 2, that it cannot check them yet; no case is counted as
 * passed. Issue 8's group management work fills in the run functions.
 */
#include "mls_vectors.h"

const struct mlsv_kind mlsv_welcome = {"welcome", NULL, NULL};
const struct mlsv_kind mlsv_passive_client_welcome = {"passive-client-welcome", NULL, NULL};
const struct mlsv_kind mlsv_passive_client_handling_commit = {"passive-client-handling-commit",
							       NULL, NULL};
const struct mlsv_kind mlsv_passive_client_random = {"passive-client-random", NULL, NULL};
