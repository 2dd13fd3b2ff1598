/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_messages.c - messages: every structure decodes and encodes back to the same bytes.
 */
#include "mls_vectors.h"

const struct mlsv_kind mlsv_messages = {"messages", NULL, NULL};
