/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pol_eval.h - the reference evaluator of the permission model: SLIM's
 * four levels (tenant, project, team, agent), most restrictive wins, plus
 * the trust relationship for external organisations. It works on the
 * model's strings, one question at a time; it answers the control API's
 * CheckPermission and IsSlimRequired, and it is the specification the
 * compiled tables (pol_compile.h) are tested against. docs/policy.md states
 * the same rules in prose.
 *
 * Thread context: any; the model is read-only.
 */
#ifndef SB_POL_EVAL_H
#define SB_POL_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "pol_model.h"
#include "shm/policy_abi.h"

#define POL_ORG_MAX 160

struct pol_result {
	bool allowed;
	bool cond;			/* pol_eval with peer -1 only: the peer decides */
	uint8_t level;			/* enum sb_pol_level; NONE when allowed */
	uint8_t reason;			/* enum sb_pol_reason */
	char org[POL_ORG_MAX];		/* the organisation checked */
};

/* pol_reason_text / pol_level_name: the texts of the ABI's enums. */
const char *pol_reason_text(unsigned reason);
const char *pol_level_name(unsigned level);

/*
 * pol_org_of writes the organisation of agent |peer| as seen from agent
 * |local| (indices): internal:{app} in the same tenant, external:{tenant}
 * otherwise. Returns false if they are in the same app (no SLIM boundary).
 */
bool pol_org_of(const struct pol_model *m, int32_t local, int32_t peer, char *buf, size_t len);

/*
 * pol_slim_required answers IsSlimRequired for agents |src| and |dst| (ids):
 * same app -> not required; same tenant -> internal:{app}; other tenant ->
 * external:{tenant}. Returns 0, or -ENOENT with |*missing| set to the id
 * that is not an agent.
 */
int pol_slim_required(const struct pol_model *m, const char *src, const char *dst,
		      struct pol_result *r, bool *required, const char **missing);

/*
 * pol_check answers CheckPermission: may agent |src| talk to agent |dst|
 * with operation |op|? |dir| OUTBOUND checks the source's hierarchy (the
 * organisation is the target's), INBOUND the target's (the organisation is
 * the source's). |org| overrides the derived organisation when non-empty
 * (concrete: internal:x or external:y). Returns 0 with |*r| filled, -ENOENT
 * with |*missing| set when an id is not an agent, -EINVAL for a bad |org|.
 */
int pol_check(const struct pol_model *m, const char *src, const char *dst, const char *org,
	      enum sb_pol_dir dir, enum sb_pol_op op, struct pol_result *r,
	      const char **missing);

/* Flags of pol_eval. */
#define POL_EVAL_SKIP_DYNAMIC 0x1u	/* skip the kill switch and trust (the tables keep them apart) */

/*
 * pol_eval evaluates the hierarchy of agent |local| (index) towards
 * organisation |org| for |peer| (index; -1: any peer, in which case a rule
 * that depends on the peer's id or namespace makes the result conditional:
 * r->cond). Same-app pairs are the caller's business.
 */
void pol_eval(const struct pol_model *m, int32_t local, int32_t peer, const char *org,
	      enum sb_pol_dir dir, enum sb_pol_op op, unsigned flags, struct pol_result *r);

#endif
