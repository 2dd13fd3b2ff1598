/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlsv_treevec.c - tree-validation, tree-operations and treekem.
 */
#include "mls_vectors.h"

const struct mlsv_kind mlsv_tree_validation = {"tree-validation", NULL, NULL};
const struct mlsv_kind mlsv_tree_operations = {"tree-operations", NULL, NULL};
const struct mlsv_kind mlsv_treekem = {"treekem", NULL, NULL};
