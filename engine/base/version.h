#ifndef TESSERA_VERSION_H
#define TESSERA_VERSION_H

#define TESSERA_VERSION "0.1.0"
/* The Redis release whose replies Tessera reproduces; clients that check the
 * server version (HELLO, INFO) see this. */
#define REDIS_COMPAT_VERSION "7.0.15"

#endif
