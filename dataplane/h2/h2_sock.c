/* SPDX-License-Identifier: Apache-2.0 */
/* h2_sock.c - the HTTP/2 engine on kernel sockets (h2_sock.h). */
#include "h2_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTEN 8
#define IN_BUF	   65536
#define TICK_MS	   10

struct listener {
	int fd;
	uint64_t paused_until; /* accept paused (descriptors ran out) until then; 0: not */
	const struct h2_sock_app *app;
	void *arg;
};

struct sconn {
	int fd;
	const struct h2_sock_app *app;
	void *obj;
	struct h2_conn *h2;
	struct sconn *next, *prev;
	bool want_out; /* EPOLLOUT armed */
	bool paused;   /* input waits for the output to drain */
	bool closing;  /* EOF or error: close once the output is out (or fails) */
	size_t in_off, in_len;
	uint8_t in[IN_BUF];
};

struct h2_sock_loop {
	int ep;
	struct h2_pool *pool;
	struct listener ls[MAX_LISTEN];
	unsigned nb_ls;
	struct sconn *conns;
	void (*hook)(void *arg, uint64_t now_ms);
	void *hook_arg;
};

void h2_sock_loop_set_hook(struct h2_sock_loop *l, void (*hook)(void *arg, uint64_t now_ms),
			   void *arg)
{
	l->hook = hook;
	l->hook_arg = arg;
}

uint64_t h2_sock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct h2_sock_loop *h2_sock_loop_new(uint32_t pool_chunks, uint32_t max_chunks)
{
	struct h2_sock_loop *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		return NULL;
	}
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0) {
		goto out_free;
	}
	l->pool = h2_pool_new(pool_chunks, true, max_chunks);
	if (l->pool == NULL) {
		goto out_close;
	}
	return l;

out_close:
	close(l->ep);
out_free:
	free(l);
	return NULL;
}

static void conn_close(struct h2_sock_loop *l, struct sconn *sc)
{
	epoll_ctl(l->ep, EPOLL_CTL_DEL, sc->fd, NULL);
	close(sc->fd);
	sc->app->close(sc->obj);
	if (sc->prev != NULL) {
		sc->prev->next = sc->next;
	} else {
		l->conns = sc->next;
	}
	if (sc->next != NULL) {
		sc->next->prev = sc->prev;
	}
	free(sc);
}

void h2_sock_loop_free(struct h2_sock_loop *l)
{
	if (l == NULL) {
		return;
	}
	while (l->conns != NULL) {
		conn_close(l, l->conns);
	}
	for (unsigned i = 0; i < l->nb_ls; i++) {
		close(l->ls[i].fd);
	}
	close(l->ep);
	h2_pool_free(l->pool);
	free(l);
}

int h2_sock_listen(struct h2_sock_loop *l, const char *addr, uint16_t port,
		   const struct h2_sock_app *app, void *arg)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct epoll_event ev = {.events = EPOLLIN};
	int fd, one = 1, zero = 0, rc;

	if (l->nb_ls == MAX_LISTEN || app == NULL || app->accept == NULL || app->close == NULL) {
		return -EINVAL;
	}
	memset(&ss, 0, sizeof(ss));
	if (addr != NULL && inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		sl = sizeof(struct sockaddr_in);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (addr != NULL && inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) {
			return -EINVAL;
		}
		sl = sizeof(*s6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	ev.data.ptr = &l->ls[l->nb_ls];
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	l->ls[l->nb_ls].fd = fd;
	l->ls[l->nb_ls].app = app;
	l->ls[l->nb_ls].arg = arg;
	l->nb_ls++;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void arm(struct h2_sock_loop *l, struct sconn *sc)
{
	struct epoll_event ev = {.data.ptr = sc};

	ev.events = (sc->paused || sc->closing ? 0 : EPOLLIN) | (sc->want_out ? EPOLLOUT : 0);
	epoll_ctl(l->ep, EPOLL_CTL_MOD, sc->fd, &ev);
}

/* Make the engine for connected socket |fd| and watch it; returns the app's object or NULL. */
static struct sconn *add_conn(struct h2_sock_loop *l, int fd, const struct h2_sock_app *app,
			      void *arg)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct sconn *sc;
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL) {
		return NULL;
	}
	sc->fd = fd;
	sc->app = app;
	sc->obj = app->accept(arg, l->pool, h2_sock_now_ms(), &sc->h2);
	if (sc->obj == NULL) {
		free(sc);
		return NULL;
	}
	ev.data.ptr = sc;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		sc->app->close(sc->obj);
		free(sc);
		return NULL;
	}
	sc->next = l->conns;
	if (l->conns != NULL) {
		l->conns->prev = sc;
	}
	l->conns = sc;
	return sc;
}

static void do_accept(struct h2_sock_loop *l, struct listener *ls)
{
	for (;;) {
		int fd = accept4(ls->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: the queue stays readable; stop looking for 100 ms. */
				struct epoll_event ev = {.events = 0, .data.ptr = ls};

				epoll_ctl(l->ep, EPOLL_CTL_MOD, ls->fd, &ev);
				ls->paused_until = h2_sock_now_ms() + 100;
			}
			return;
		}
		if (add_conn(l, fd, ls->app, ls->arg) == NULL) {
			close(fd);
		}
	}
}

void *h2_sock_connect(struct h2_sock_loop *l, const char *addr, uint16_t port,
		      const struct h2_sock_app *app, void *arg)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct sconn *sc;
	int fd, err;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		errno = EINVAL;
		return NULL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return NULL;
	}
	/* A blocking connect: dialling is set-up work, not the event loop's. */
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	sc = add_conn(l, fd, app, arg);
	if (sc == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	/* The client's preface and SETTINGS go at the next turn of the loop. */
	return sc->obj;
}

/* Write what the engine has; returns -1 when the socket failed. */
static int flush(struct sconn *sc)
{
	for (;;) {
		struct iovec iov[64];
		unsigned n = h2_conn_out_iov(sc->h2, iov, 64);
		ssize_t w;

		if (n == 0) {
			sc->want_out = false;
			return 0;
		}
		w = writev(sc->fd, iov, (int)n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				sc->want_out = true;
				return 0;
			}
			return -1;
		}
		h2_conn_out_consume(sc->h2, (size_t)w);
	}
}

/* Feed buffered input; true when all of it was taken. */
static bool feed(struct sconn *sc)
{
	while (sc->in_off < sc->in_len) {
		long k = h2_conn_recv(sc->h2, sc->in + sc->in_off, sc->in_len - sc->in_off);

		if (k < 0) {
			sc->in_off = sc->in_len = 0;
			sc->closing = true;
			return true;
		}
		if (k == 0) {
			return false; /* output over the mark: wait for it to drain */
		}
		sc->in_off += (size_t)k;
	}
	sc->in_off = sc->in_len = 0;
	return true;
}

static void service(struct h2_sock_loop *l, struct sconn *sc, uint32_t events)
{
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !sc->paused && !sc->closing) {
		for (int i = 0; i < 16 && !sc->paused && !sc->closing; i++) {
			ssize_t r = read(sc->fd, sc->in, sizeof(sc->in));

			if (r == 0) {
				sc->closing = true;
				break;
			}
			if (r < 0) {
				if (errno != EAGAIN && errno != EINTR) {
					sc->closing = true;
				}
				break;
			}
			sc->in_off = 0;
			sc->in_len = (size_t)r;
			sc->paused = !feed(sc);
			if (flush(sc) < 0) {
				conn_close(l, sc);
				return;
			}
		}
	}
	if (flush(sc) < 0) {
		conn_close(l, sc);
		return;
	}
	if (sc->paused && !sc->want_out) {
		sc->paused = !feed(sc);
		if (flush(sc) < 0) {
			conn_close(l, sc);
			return;
		}
	}
	if ((sc->closing && !sc->want_out) || (h2_conn_done(sc->h2) && !sc->want_out)) {
		conn_close(l, sc);
		return;
	}
	arm(l, sc);
}

int h2_sock_loop_run(struct h2_sock_loop *l, volatile sig_atomic_t *stop)
{
	struct epoll_event evs[64];

	while (!*stop) {
		int n = epoll_wait(l->ep, evs, 64, TICK_MS);
		uint64_t now;
		struct sconn *sc, *next;

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p >= (void *)l->ls && p < (void *)(l->ls + MAX_LISTEN)) {
				do_accept(l, p);
			} else {
				service(l, p, evs[i].events);
			}
		}
		now = h2_sock_now_ms();
		if (l->hook != NULL) {
			l->hook(l->hook_arg, now);
		}
		for (unsigned i = 0; i < l->nb_ls; i++) {
			if (l->ls[i].paused_until != 0 && now >= l->ls[i].paused_until) {
				struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->ls[i]};

				l->ls[i].paused_until = 0;
				epoll_ctl(l->ep, EPOLL_CTL_MOD, l->ls[i].fd, &ev);
			}
		}
		for (sc = l->conns; sc != NULL; sc = next) {
			next = sc->next;
			if (sc->app->tick != NULL) {
				sc->app->tick(sc->obj, now);
			}
			service(l, sc, 0);
		}
	}
	return 0;
}
