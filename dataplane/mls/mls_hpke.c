/* SPDX-License-Identifier: Apache-2.0 */
/* mls_hpke.c - placeholder: being written. */
#include "mls_crypto.h"
