/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_schedule.c - secret-tree, key-schedule, psk_secret and transcript-hashes.
 */
#include "mls_vectors.h"

const struct mlsv_kind mlsv_secret_tree = {"secret-tree", NULL, NULL};
const struct mlsv_kind mlsv_key_schedule = {"key-schedule", NULL, NULL};
const struct mlsv_kind mlsv_psk_secret = {"psk_secret", NULL, NULL};
const struct mlsv_kind mlsv_transcript_hashes = {"transcript-hashes", NULL, NULL};
