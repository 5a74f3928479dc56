/* Listening sockets for the kernel backend: one per shard, all bound to the
 * same address with SO_REUSEPORT, so the kernel spreads connections over the
 * shards without a shared accept queue. */
#ifndef TESSERA_LISTENER_H
#define TESSERA_LISTENER_H

#include <stdbool.h>

/* Returns a listening fd, or a negative errno with a message in err. Each
 * shard opens its own (SO_REUSEPORT); `first` (the first shard's) also
 * makes sure no other process listens on the port. */
int listener_open(const char *bind_addr, int port, bool first, char *err, unsigned errlen);
/* Stop listening now: an accept still queued in io_uring holds a reference
 * to the socket, and the ring's teardown finishes after the process exits,
 * so a plain close() would leave the port taken for a moment. */
void listener_close(int fd);
/* "ip:port" of a socket's peer (peer != 0) or local end. */
void socket_address(int fd, int peer, char *out, unsigned outlen);
/* TCP_NODELAY, and keepalive when tcp-keepalive > 0. */
void socket_tune(int fd, long long keepalive_seconds);

struct shard;
struct client;
/* A freshly accepted socket becomes a client of the shard, with `conn` as
 * its dataplane handle. NULL when maxclients is reached or memory is short:
 * the socket has then been told so and closed (the caller frees conn). */
struct client *accept_client(struct shard *sh, int fd, void *conn);

#endif
