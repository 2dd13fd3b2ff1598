/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fed_fetch.c - fetching peers' bundles with libcurl's multi interface,
 * driven from the event loop's tick (curl_multi_perform never blocks; names
 * are resolved on libcurl's resolver thread).
 *
 * The https_web profile (spec 5.2) is libcurl's default TLS: the peer's
 * certificate is checked against the system's CA store and its name
 * against the URL's host. Redirects are not followed (spec 5.4 lets a
 * client refuse them): a 3xx answer is a failed refresh, and the
 * configured URL is used every time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ctl_fed_internal.h"
#include "id_bundle.h"

struct ctl_fed_xfer {
	CURL *h;
	struct ctl_fed_td *e;
	uint8_t *buf;
	size_t len, cap;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
};

int ctl_fed_fetch_init(struct ctl_fed *f)
{
	/* Once per process, before any thread of ours (the HTTP server's) exists. */
	static bool global_done;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			return -ENOMEM;
		}
		global_done = true;
	}
	f->multi = curl_multi_init();
	return f->multi != NULL ? 0 : -ENOMEM;
}

static void xfer_free(struct ctl_fed *f, struct ctl_fed_xfer *x)
{
	curl_multi_remove_handle(f->multi, x->h);
	curl_easy_cleanup(x->h);
	x->e->xfer = NULL;
	f->n_inflight--;
	free(x->buf);
	free(x);
}

void ctl_fed_fetch_cancel(struct ctl_fed *f, struct ctl_fed_td *e)
{
	if (e->xfer != NULL) {
		xfer_free(f, e->xfer);
	}
}

void ctl_fed_fetch_cleanup(struct ctl_fed *f)
{
	if (f->multi != NULL) {
		curl_multi_cleanup(f->multi);
		f->multi = NULL;
	}
}

int ctl_fed_fetch_url_check(const char *url, char *why, size_t whylen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *user = NULL;
	int rc = -EINVAL;

	if (u == NULL) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		snprintf(why, whylen, "not a URL");
	} else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
		snprintf(why, whylen, "scheme '%.16s' (https or http expected)", scheme);
	} else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		snprintf(why, whylen, "userinfo is not allowed in a bundle endpoint URL");
	} else {
		rc = 0;
	}
	curl_free(scheme);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

/* Keeps the body, at most ID_BUNDLE_MAX_BYTES: more aborts the transfer. */
static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct ctl_fed_xfer *x = arg;
	size_t n = size * nmemb;

	if (n > ID_BUNDLE_MAX_BYTES - x->len) {
		x->too_big = true;
		return 0;
	}
	if (x->len + n > x->cap) {
		size_t cap = x->cap != 0 ? x->cap : 4096;
		uint8_t *q;

		while (cap < x->len + n) {
			cap *= 2;
		}
		q = realloc(x->buf, cap);
		if (q == NULL) {
			return 0;
		}
		x->buf = q;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, p, n);
	x->len += n;
	return n;
}

int ctl_fed_fetch_start(struct ctl_fed *f, struct ctl_fed_td *e, char *why, size_t whylen)
{
	struct ctl_fed_xfer *x;
	CURL *h;

	if (e->xfer != NULL) {
		return 0;
	}
	x = calloc(1, sizeof(*x));
	h = x != NULL ? curl_easy_init() : NULL;
	if (h == NULL) {
		free(x);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	x->h = h;
	x->e = e;
	if (curl_easy_setopt(h, CURLOPT_URL, e->url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CTL_FED_CONNECT_MS) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)CTL_FED_TOTAL_MS) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ID_BUNDLE_MAX_BYTES) !=
		    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PRIVATE, x) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "slimbridge-control/" SB_VERSION) != CURLE_OK ||
	    curl_multi_add_handle(f->multi, h) != CURLM_OK) {
		curl_easy_cleanup(h);
		free(x);
		snprintf(why, whylen, "cannot set the transfer up");
		return -EINVAL;
	}
	e->xfer = x;
	f->n_inflight++;
	return 0;
}

/* Says how transfer |x| ended: true with the body, or false with |why|. */
static bool outcome(struct ctl_fed_xfer *x, CURLcode res, char *why, size_t whylen)
{
	long code = 0;

	if (x->too_big || res == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, whylen, "the response is larger than %u bytes", ID_BUNDLE_MAX_BYTES);
		return false;
	}
	if (res != CURLE_OK) {
		snprintf(why, whylen, "%s", x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(res));
		return false;
	}
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		snprintf(why, whylen, "HTTP status %ld%s", code,
			 code >= 300 && code < 400 ? " (redirects are not followed)" : "");
		return false;
	}
	return true;
}

void ctl_fed_fetch_poll(struct ctl_fed *f)
{
	CURLMsg *m;
	int running, left;

	if (f->n_inflight == 0) {
		return;
	}
	curl_multi_perform(f->multi, &running);
	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		struct ctl_fed_xfer *x = NULL;
		char why[CTL_FED_ERR_MAX];
		struct ctl_fed_td *e;
		CURLcode res;
		uint8_t *body;
		size_t len;
		bool ok;

		if (m->msg != CURLMSG_DONE) {
			continue;
		}
		res = m->data.result;	/* m is invalid once the handle is removed */
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x == NULL) {
			continue;
		}
		e = x->e;
		ok = outcome(x, res, why, sizeof(why));
		body = x->buf;
		len = x->len;
		x->buf = NULL;
		xfer_free(f, x);
		ctl_fed_fetched(f, e, ok, body != NULL ? body : (const uint8_t *)"", len, why);
		free(body);
	}
}
