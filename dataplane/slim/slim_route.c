/* SPDX-License-Identifier: Apache-2.0 */
/* slim_route.c - the SLIM subscription table; see slim_route.h. */
#include "slim_route.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sub {
	uint64_t id_hi, id_lo;
	uint32_t conn;
	bool local;
};

struct prefix {
	uint64_t c[3];
	bool used;
	bool tomb; /* deleted: probing goes on past it */
	uint32_t nb, cap;
	uint32_t rr; /* round-robin cursor */
	struct sub *subs;
};

struct slim_route {
	struct prefix *p;
	uint32_t mask;	 /* slots - 1 */
	uint32_t nb_used; /* live prefixes */
	uint32_t nb_tomb;
	uint32_t nb_subs;
};

static uint64_t mix(const uint64_t c[3])
{
	uint64_t h = c[0] * 0x9e3779b97f4a7c15ull;

	h ^= c[1] + 0x632be59bd9b4e019ull + (h << 6) + (h >> 2);
	h ^= c[2] + 0x85157af5ull + (h << 6) + (h >> 2);
	return h ^ (h >> 31);
}

struct slim_route *slim_route_new(void)
{
	struct slim_route *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		return NULL;
	}
	t->mask = 63;
	t->p = calloc(64, sizeof(*t->p));
	if (t->p == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void slim_route_free(struct slim_route *t)
{
	if (t == NULL) {
		return;
	}
	for (uint32_t i = 0; i <= t->mask; i++) {
		free(t->p[i].subs);
	}
	free(t->p);
	free(t);
}

static struct prefix *find(const struct slim_route *t, const uint64_t c[3])
{
	uint32_t i = (uint32_t)mix(c) & t->mask;

	for (uint32_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		struct prefix *p = &t->p[i];

		if (!p->used && !p->tomb) {
			return NULL;
		}
		if (p->used && memcmp(p->c, c, sizeof(p->c)) == 0) {
			return p;
		}
	}
	return NULL;
}

static int grow(struct slim_route *t)
{
	uint32_t slots = (t->mask + 1) * 2;
	struct prefix *old = t->p, *np = calloc(slots, sizeof(*np));
	uint32_t old_slots = t->mask + 1;

	if (np == NULL) {
		return -ENOMEM;
	}
	t->p = np;
	t->mask = slots - 1;
	t->nb_tomb = 0;
	for (uint32_t k = 0; k < old_slots; k++) {
		uint32_t i;

		if (!old[k].used) {
			continue;
		}
		i = (uint32_t)mix(old[k].c) & t->mask;
		while (t->p[i].used) {
			i = (i + 1) & t->mask;
		}
		t->p[i] = old[k];
	}
	free(old);
	return 0;
}

static struct prefix *find_or_add(struct slim_route *t, const uint64_t c[3])
{
	struct prefix *p = find(t, c);
	uint32_t i;

	if (p != NULL) {
		return p;
	}
	if ((t->nb_used + t->nb_tomb + 1) * 4 > (t->mask + 1) * 3 && grow(t) != 0) {
		return NULL;
	}
	i = (uint32_t)mix(c) & t->mask;
	while (t->p[i].used) {
		i = (i + 1) & t->mask;
	}
	p = &t->p[i];
	if (p->tomb) {
		t->nb_tomb--;
	}
	memset(p, 0, sizeof(*p));
	memcpy(p->c, c, sizeof(p->c));
	p->used = true;
	t->nb_used++;
	return p;
}

static void drop_if_empty(struct slim_route *t, struct prefix *p)
{
	if (p->nb == 0) {
		free(p->subs);
		p->subs = NULL;
		p->cap = 0;
		p->used = false;
		p->tomb = true;
		t->nb_used--;
		t->nb_tomb++;
	}
}

int slim_route_add(struct slim_route *t, const struct slim_name *n, uint32_t conn, bool local)
{
	struct prefix *p = find_or_add(t, n->c);

	if (p == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < p->nb; i++) {
		if (p->subs[i].conn == conn && p->subs[i].id_hi == n->id_hi &&
		    p->subs[i].id_lo == n->id_lo) {
			return 0;
		}
	}
	if (p->nb == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 4;
		struct sub *s = realloc(p->subs, cap * sizeof(*s));

		if (s == NULL) {
			drop_if_empty(t, p);
			return -ENOMEM;
		}
		p->subs = s;
		p->cap = cap;
	}
	p->subs[p->nb++] = (struct sub){n->id_hi, n->id_lo, conn, local};
	t->nb_subs++;
	return 0;
}

int slim_route_del(struct slim_route *t, const struct slim_name *n, uint32_t conn)
{
	struct prefix *p = find(t, n->c);

	if (p == NULL) {
		return -ENOENT;
	}
	for (uint32_t i = 0; i < p->nb; i++) {
		if (p->subs[i].conn == conn && p->subs[i].id_hi == n->id_hi &&
		    p->subs[i].id_lo == n->id_lo) {
			p->subs[i] = p->subs[--p->nb];
			t->nb_subs--;
			drop_if_empty(t, p);
			return 0;
		}
	}
	return -ENOENT;
}

uint32_t slim_route_del_conn(struct slim_route *t, uint32_t conn)
{
	uint32_t removed = 0;

	for (uint32_t k = 0; k <= t->mask; k++) {
		struct prefix *p = &t->p[k];

		if (!p->used) {
			continue;
		}
		for (uint32_t i = 0; i < p->nb;) {
			if (p->subs[i].conn == conn) {
				p->subs[i] = p->subs[--p->nb];
				removed++;
			} else {
				i++;
			}
		}
		drop_if_empty(t, p);
	}
	t->nb_subs -= removed;
	return removed;
}

static bool matches(const struct sub *s, const struct slim_name *n)
{
	bool sub_any = s->id_hi == SLIM_ID_ANY && s->id_lo == SLIM_ID_ANY;

	return slim_name_id_any(n) || sub_any || (s->id_hi == n->id_hi && s->id_lo == n->id_lo);
}

bool slim_route_anycast(struct slim_route *t, const struct slim_name *n, uint32_t ingress,
			bool local_only, uint32_t *out)
{
	struct prefix *p = find(t, n->c);

	if (p == NULL || p->nb == 0) {
		return false;
	}
	/* Two passes from the cursor: local subscribers first, then any. */
	for (int pass = 0; pass < (local_only ? 1 : 2); pass++) {
		for (uint32_t k = 0; k < p->nb; k++) {
			uint32_t i = (p->rr + k) % p->nb;
			const struct sub *s = &p->subs[i];

			if (s->conn == ingress || !matches(s, n) || (pass == 0 && !s->local)) {
				continue;
			}
			p->rr = i + 1;
			*out = s->conn;
			return true;
		}
	}
	return false;
}

uint32_t slim_route_multicast(struct slim_route *t, const struct slim_name *n, uint32_t ingress,
			      bool local_only, uint32_t *out, uint32_t max)
{
	struct prefix *p = find(t, n->c);
	uint32_t nb = 0;

	if (p == NULL) {
		return 0;
	}
	for (uint32_t i = 0; i < p->nb && nb < max; i++) {
		const struct sub *s = &p->subs[i];
		bool dup = false;

		if (s->conn == ingress || !matches(s, n) || (local_only && !s->local)) {
			continue;
		}
		for (uint32_t k = 0; k < nb; k++) {
			dup |= out[k] == s->conn;
		}
		if (!dup) {
			out[nb++] = s->conn;
		}
	}
	return nb;
}

uint32_t slim_route_count(const struct slim_route *t)
{
	return t->nb_subs;
}

void slim_route_foreach(const struct slim_route *t,
			void (*fn)(const struct slim_name *n, uint32_t conn, bool local, void *arg),
			void *arg)
{
	for (uint32_t k = 0; k <= t->mask; k++) {
		const struct prefix *p = &t->p[k];

		for (uint32_t i = 0; p->used && i < p->nb; i++) {
			struct slim_name n = {{p->c[0], p->c[1], p->c[2]}, p->subs[i].id_hi,
					      p->subs[i].id_lo};

			fn(&n, p->subs[i].conn, p->subs[i].local, arg);
		}
	}
}

bool slim_route_has_local(const struct slim_route *t, const struct slim_name *n, uint32_t except)
{
	const struct prefix *p = find(t, n->c);

	for (uint32_t i = 0; p != NULL && i < p->nb; i++) {
		const struct sub *s = &p->subs[i];

		if (s->local && s->conn != except && s->id_hi == n->id_hi && s->id_lo == n->id_lo) {
			return true;
		}
	}
	return false;
}
