#include "listener.h"

#include "base/config.h"
#include "request/client.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A socket bound to the address; SO_REUSEPORT lets every shard of this
 * process have its own listener on the same port. Returns fd or -errno. */
static int bound_socket(const struct addrinfo *res, bool reuseport)
{
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int listener_open(const char *bind_addr, int port, bool first, char *err, unsigned errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST };
	struct addrinfo *res;
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	const char *host = (!bind_addr[0] || !strcmp(bind_addr, "*")) ? NULL : bind_addr;
	int rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "bad bind address '%s': %s", bind_addr, gai_strerror(rc));
		return -EINVAL;
	}
	int fd;
	if (first) {
		/* SO_REUSEPORT would also let another server (a second Tessera
		 * started by mistake) share the port and silently take half the
		 * connections. A plain bind first fails, as Redis's does, if
		 * anyone listens there. */
		fd = bound_socket(res, false);
		if (fd < 0) {
			rc = fd;
			goto fail;
		}
		close(fd);
	}
	fd = bound_socket(res, true);
	if (fd < 0 || listen(fd, 511) < 0) {
		rc = fd < 0 ? fd : -errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	freeaddrinfo(res);
	return fd;
fail:
	snprintf(err, errlen, "could not listen on %s:%d: %s", bind_addr, port, strerror(-rc));
	freeaddrinfo(res);
	return rc;
}

void listener_close(int fd)
{
	shutdown(fd, SHUT_RDWR);
	close(fd);
}

void socket_address(int fd, int peer, char *out, unsigned outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		      : getsockname(fd, (struct sockaddr *)&ss, &len);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (rc == 0 && ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else if (rc == 0 && ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(out, outlen, "%s:%d", host, port);
}

void socket_tune(int fd, long long keepalive_seconds)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (keepalive_seconds > 0) {
		int idle = (int)keepalive_seconds, intvl = idle / 3 > 0 ? idle / 3 : 1, cnt = 3;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	}
}

struct client *accept_client(struct shard *sh, int fd, void *conn)
{
	char addr[64], laddr[64];
	socket_address(fd, 1, addr, sizeof(addr));
	socket_address(fd, 0, laddr, sizeof(laddr));
	socket_tune(fd, CFG(tcp_keepalive));
	struct client *c = conn ? client_create(sh, conn, fd, addr, laddr) : NULL;
	if (!c) {
		const char *msg = client_reject_text();
		ssize_t ignored = send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
		(void)ignored;
		close(fd);
	}
	return c;
}
