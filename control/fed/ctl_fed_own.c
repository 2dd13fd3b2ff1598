/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_fed_own.c - our trust domain's bundle: the file the operator's SPIRE
 * writes (--bundle-file), read again when it changes, and the bundle
 * endpoint that serves it (libmicrohttpd on its own thread, plain HTTP).
 *
 * The served document is the only thing the HTTP thread and the event loop
 * share: a private copy swapped under a mutex, copied into each response
 * under the same mutex, so a request sees one whole document or the next.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ctl_fed_internal.h"
#include "id_bundle.h"

#define LOG "slimbridge-control: bundle "

struct ctl_fed_srv {
	struct MHD_Daemon *d;
	pthread_mutex_t mu;
	uint8_t *doc;		/* under mu */
	size_t len;
	int port;
};

/* ---------------------------------------------------------------- the file */

/* Reads at most ID_BUNDLE_MAX_BYTES of |path|: 0 with a malloc'd |*buf|, or a negative errno. */
static int read_file(const char *path, uint8_t **buf, size_t *len, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *b;
	size_t n = 0;

	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -errno;
	}
	b = malloc(ID_BUNDLE_MAX_BYTES + 1);
	if (b == NULL) {
		close(fd);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, b + n, ID_BUNDLE_MAX_BYTES + 1 - n);

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			int e = errno;

			snprintf(why, whylen, "%s", strerror(e));
			close(fd);
			free(b);
			return -e;
		}
		if (r == 0) {
			break;
		}
		n += (size_t)r;
		if (n > ID_BUNDLE_MAX_BYTES) {
			snprintf(why, whylen, "larger than %u bytes", ID_BUNDLE_MAX_BYTES);
			close(fd);
			free(b);
			return -E2BIG;
		}
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

int ctl_fed_own_check(struct ctl_fed *f, bool force, char *why, size_t whylen)
{
	struct ctl_fed_td *e = ctl_fed_find(f, f->trust_domain);
	char origin[4200], msg[CTL_FED_ERR_MAX], sq[24];
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (e == NULL || f->bundle_file == NULL) {
		return 0;
	}
	if (stat(f->bundle_file, &st) < 0) {
		rc = -errno;
		/* A missing file is logged once, not every second. */
		if (!force && f->file_known && f->file_ino == 0 && f->file_size == -1) {
			return rc;
		}
		f->file_known = true;
		f->file_dev = 0;
		f->file_ino = 0;
		f->file_size = -1;
		snprintf(why, whylen, "%s", strerror(-rc));
		goto refused;
	}
	if (!force && f->file_known && st.st_dev == f->file_dev && st.st_ino == f->file_ino &&
	    st.st_size == f->file_size &&
	    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec == f->file_mtime_ns) {
		return 0;
	}
	f->file_known = true;
	f->file_dev = st.st_dev;
	f->file_ino = st.st_ino;
	f->file_size = st.st_size;
	f->file_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	e->last_attempt_ms = ctl_fed_realtime_ms();
	rc = read_file(f->bundle_file, &buf, &len, why, whylen);
	if (rc < 0) {
		goto refused;
	}
	snprintf(origin, sizeof(origin), "from file %s", f->bundle_file);
	rc = ctl_fed_take(f, e, buf, len, CTL_FED_SRC_FILE, origin, why, whylen);
	free(buf);
	if (rc < 0) {
		goto refused;
	}
	e->failures = 0;
	e->err[0] = '\0';
	return 0;
refused:
	e->failures++;
	snprintf(msg, sizeof(msg), "%s", why);
	for (char *p = msg; *p != '\0'; p++) {
		*p = *p >= 0x20 && *p < 0x7f ? *p : '?';
	}
	snprintf(e->err, sizeof(e->err), "%s", msg);
	if (e->src != CTL_FED_SRC_NONE) {
		snprintf(origin, sizeof(origin), "keeping sequence %s",
			 e->has_seq ? (snprintf(sq, sizeof(sq), "%" PRIu64, e->seq), sq) : "none");
	} else {
		snprintf(origin, sizeof(origin), "no bundle of ours yet");
	}
	fprintf(stderr, LOG "%s: --bundle-file %s refused: %s; %s\n", e->td, f->bundle_file, msg,
		origin);
	return rc;
}

/* ---------------------------------------------------------------- the endpoint */

/* Parses ADDR:PORT (IPv4, or [IPv6]) into |ss|. 0 or -EINVAL. */
static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = s != NULL ? strrchr(s, ':') : NULL;
	char *end;
	unsigned long port;
	size_t n;

	if (colon == NULL || colon == s || colon[1] == '\0') {
		return -EINVAL;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port > 65535 || colon[1] == '-' || colon[1] == '+') {
		return -EINVAL;
	}
	n = (size_t)(colon - s);
	if (n >= sizeof(host)) {
		return -EINVAL;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (n < 3 || host[n - 1] != ']') {
			return -EINVAL;
		}
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1) {
			return -EINVAL;
		}
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
			return -EINVAL;
		}
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*sl = sizeof(*a);
	}
	return 0;
}

int ctl_fed_addr_check(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	return parse_addr(s, &ss, &sl);
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned int status, const void *body,
			       size_t len, const char *type, bool allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL) {
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    (allow && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

#define TEXT(s) s, sizeof(s) - 1, "text/plain; charset=utf-8"

/* The HTTP thread: answers every request at once (no request body is read). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct ctl_fed_srv *s = cls;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT("method not allowed\n"), true);
	}
	if (strcmp(url, "/") != 0 && strcmp(url, "/bundle") != 0) {
		return respond(c, MHD_HTTP_NOT_FOUND, TEXT("not found\n"), false);
	}
	pthread_mutex_lock(&s->mu);
	if (s->len == 0) {
		ret = respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT("no bundle yet\n"), false);
	} else {
		/* Spec 5.2: the newest bundle, UTF-8, application/json. */
		ret = respond(c, MHD_HTTP_OK, s->doc, s->len, "application/json", false);
	}
	pthread_mutex_unlock(&s->mu);
	return ret;
}

int ctl_fed_serve_start(struct ctl_fed *f, const char *listen, char *err, size_t errlen)
{
	struct ctl_fed_srv *s;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;
	socklen_t sl;

	if (parse_addr(listen, &ss, &sl) < 0) {
		snprintf(err, errlen, "--bundle-listen '%s': ADDR:PORT expected (IP literal; [v6])",
			 listen);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	errno = 0;
	s->d = MHD_start_daemon(flags, ntohs(((struct sockaddr_in *)&ss)->sin_port), NULL, NULL,
				on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				MHD_OPTION_END);
	if (s->d == NULL) {
		snprintf(err, errlen, "--bundle-listen %s: cannot listen%s%s", listen,
			 errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		pthread_mutex_destroy(&s->mu);
		free(s);
		return -EADDRNOTAVAIL;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info != NULL ? info->port : 0;
	f->srv = s;
	return 0;
}

int ctl_fed_serve_port(const struct ctl_fed *f)
{
	return f->srv != NULL ? f->srv->port : 0;
}

void ctl_fed_serve_set(struct ctl_fed *f, const uint8_t *doc, size_t len)
{
	struct ctl_fed_srv *s = f->srv;
	uint8_t *copy = NULL, *old;

	if (s == NULL) {
		return;
	}
	if (len > 0) {
		copy = malloc(len);
		if (copy == NULL) {
			fprintf(stderr, LOG "%s: not served: out of memory\n", f->trust_domain);
			return;		/* the previous one stays */
		}
		memcpy(copy, doc, len);
	}
	pthread_mutex_lock(&s->mu);
	old = s->doc;
	s->doc = copy;
	s->len = len;
	pthread_mutex_unlock(&s->mu);
	free(old);
}

void ctl_fed_serve_stop(struct ctl_fed *f)
{
	struct ctl_fed_srv *s = f->srv;

	if (s == NULL) {
		return;
	}
	MHD_stop_daemon(s->d);	/* joins the HTTP thread */
	pthread_mutex_destroy(&s->mu);
	free(s->doc);
	free(s);
	f->srv = NULL;
}
