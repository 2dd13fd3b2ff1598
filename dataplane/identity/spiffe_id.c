/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spiffe_id.c - SPIFFE ID parser (spiffe_id.h). One pass over the bytes with
 * a character class table; nothing is decoded or normalised, so a valid ID
 * compares bytewise.
 */
#include "spiffe_id.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define C_TD 0x01	/* allowed in a trust domain: a-z 0-9 . - _ */
#define C_PATH 0x02	/* allowed in a path segment: a-z A-Z 0-9 . - _ */

static const uint8_t cls[256] = {
	['-'] = C_TD | C_PATH, ['.'] = C_TD | C_PATH, ['_'] = C_TD | C_PATH,
	['0'] = C_TD | C_PATH, ['1'] = C_TD | C_PATH, ['2'] = C_TD | C_PATH,
	['3'] = C_TD | C_PATH, ['4'] = C_TD | C_PATH, ['5'] = C_TD | C_PATH,
	['6'] = C_TD | C_PATH, ['7'] = C_TD | C_PATH, ['8'] = C_TD | C_PATH,
	['9'] = C_TD | C_PATH,
	['a'] = C_TD | C_PATH, ['b'] = C_TD | C_PATH, ['c'] = C_TD | C_PATH,
	['d'] = C_TD | C_PATH, ['e'] = C_TD | C_PATH, ['f'] = C_TD | C_PATH,
	['g'] = C_TD | C_PATH, ['h'] = C_TD | C_PATH, ['i'] = C_TD | C_PATH,
	['j'] = C_TD | C_PATH, ['k'] = C_TD | C_PATH, ['l'] = C_TD | C_PATH,
	['m'] = C_TD | C_PATH, ['n'] = C_TD | C_PATH, ['o'] = C_TD | C_PATH,
	['p'] = C_TD | C_PATH, ['q'] = C_TD | C_PATH, ['r'] = C_TD | C_PATH,
	['s'] = C_TD | C_PATH, ['t'] = C_TD | C_PATH, ['u'] = C_TD | C_PATH,
	['v'] = C_TD | C_PATH, ['w'] = C_TD | C_PATH, ['x'] = C_TD | C_PATH,
	['y'] = C_TD | C_PATH, ['z'] = C_TD | C_PATH,
	['A'] = C_PATH, ['B'] = C_PATH, ['C'] = C_PATH, ['D'] = C_PATH, ['E'] = C_PATH,
	['F'] = C_PATH, ['G'] = C_PATH, ['H'] = C_PATH, ['I'] = C_PATH, ['J'] = C_PATH,
	['K'] = C_PATH, ['L'] = C_PATH, ['M'] = C_PATH, ['N'] = C_PATH, ['O'] = C_PATH,
	['P'] = C_PATH, ['Q'] = C_PATH, ['R'] = C_PATH, ['S'] = C_PATH, ['T'] = C_PATH,
	['U'] = C_PATH, ['V'] = C_PATH, ['W'] = C_PATH, ['X'] = C_PATH, ['Y'] = C_PATH,
	['Z'] = C_PATH,
};

static int fail(const char **why, const char *reason)
{
	if (why != NULL) {
		*why = reason;
	}
	return -EINVAL;
}

/* Name the first bad trust-domain byte the way an operator would look for it. */
static const char *td_char_reason(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z') {
		return "trust domain has an uppercase letter (it must be lowercase)";
	}
	if (ch == '%') {
		return "trust domain is percent-encoded";
	}
	if (ch == ':') {
		return "trust domain has a port";
	}
	if (ch == '@') {
		return "trust domain has userinfo";
	}
	return "trust domain has an invalid character";
}

int spiffe_td_check(const char *td, size_t len, const char **why)
{
	if (td == NULL || len == 0) {
		return fail(why, "trust domain is empty");
	}
	if (len > SPIFFE_TD_MAX) {
		return fail(why, "trust domain is longer than 255 bytes");
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = (uint8_t)td[i];

		if (!(cls[ch] & C_TD)) {
			return fail(why, td_char_reason(ch));
		}
	}
	return 0;
}

static const char *path_char_reason(uint8_t ch)
{
	switch (ch) {
	case '%':
		return "path is percent-encoded";
	case '?':
		return "SPIFFE ID has a query";
	case '#':
		return "SPIFFE ID has a fragment";
	default:
		return "path has an invalid character";
	}
}

int spiffe_id_parse(const char *s, size_t len, struct spiffe_id *out, const char **why)
{
	const size_t slen = sizeof(SPIFFE_SCHEME) - 1;
	size_t i, td_end;
	int rc;

	if (s == NULL || len == 0) {
		return fail(why, "SPIFFE ID is empty");
	}
	if (len > SPIFFE_ID_MAX) {
		return fail(why, "SPIFFE ID is longer than 2048 bytes");
	}
	if (len < slen || memcmp(s, SPIFFE_SCHEME, slen) != 0) {
		return fail(why, "scheme is not spiffe:// (lowercase)");
	}
	for (td_end = slen; td_end < len && s[td_end] != '/'; td_end++) {
		if (s[td_end] == '?' || s[td_end] == '#') {
			return fail(why, path_char_reason((uint8_t)s[td_end]));
		}
	}
	rc = spiffe_td_check(s + slen, td_end - slen, why);
	if (rc < 0) {
		return rc;
	}
	/* The path: "/seg" repeated; td_end is at a '/' or at the end. */
	for (i = td_end; i < len;) {
		size_t seg = ++i;	/* past the '/' */

		while (i < len && s[i] != '/') {
			uint8_t ch = (uint8_t)s[i];

			if (!(cls[ch] & C_PATH)) {
				return fail(why, path_char_reason(ch));
			}
			i++;
		}
		if (i == seg) {
			return fail(why, i == len ? "path has a trailing slash"
						  : "path has an empty segment");
		}
		if ((i - seg == 1 && s[seg] == '.') ||
		    (i - seg == 2 && s[seg] == '.' && s[seg + 1] == '.')) {
			return fail(why, "path has a dot segment (. or ..)");
		}
	}
	if (out != NULL) {
		out->td = s + slen;
		out->td_len = td_end - slen;
		out->path = s + td_end;
		out->path_len = len - td_end;
	}
	return 0;
}

bool spiffe_id_in_td(const struct spiffe_id *id, const char *td, size_t td_len)
{
	return id->td_len == td_len && memcmp(id->td, td, td_len) == 0;
}
