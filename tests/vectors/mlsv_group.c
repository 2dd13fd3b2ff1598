/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_group.c - welcome and the passive-client files.
 */
#include "mls_vectors.h"

const struct mlsv_kind mlsv_welcome = {"welcome", NULL, NULL};
const struct mlsv_kind mlsv_passive_client_welcome = {"passive-client-welcome", NULL, NULL};
const struct mlsv_kind mlsv_passive_client_handling_commit = {"passive-client-handling-commit", NULL, NULL};
const struct mlsv_kind mlsv_passive_client_random = {"passive-client-random", NULL, NULL};
