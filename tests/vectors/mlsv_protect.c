/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_protect.c - message-protection: PublicMessage and PrivateMessage protect/unprotect.
 */
#include "mls_vectors.h"

const struct mlsv_kind mlsv_message_protection = {"message-protection", NULL, NULL};
