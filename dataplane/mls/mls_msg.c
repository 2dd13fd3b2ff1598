/* SPDX-License-Identifier: Apache-2.0 */
/* mls_msg.c - placeholder: being written. */
#include "mls_crypto.h"
