/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_crypto.c - crypto-basics: the labelled primitives, signatures and HPKE.
 */
#include "mls_vectors.h"

const struct mlsv_kind mlsv_crypto_basics = {"crypto-basics", NULL, NULL};
