/* What the two files of the socket module share (internal to stdlib/).
 *
 * mod_socket.c owns the socket object: one ObjBox of class socket.socket per descriptor, holding
 * a SockState.  socket_addr.c owns everything about addresses (Python tuples and strings to and
 * from sockaddr structs, name resolution) and the module-level functions built on them.
 *
 * Timeouts follow CPython: `timeout` < 0 means None (a blocking descriptor), 0 means
 * non-blocking (calls that would wait raise BlockingIOError), > 0 means the descriptor is
 * non-blocking and calls wait in poll(2) up to that many seconds, then raise TimeoutError("timed
 * out").
 */
#ifndef AIO_SOCKET_SHARED_H
#define AIO_SOCKET_SHARED_H

#include <netdb.h>
#include <sys/socket.h>

#include "modinit.h"

typedef struct {
    int fd;      // -1 once closed or detached
    int family;  // AF_INET, AF_INET6, AF_UNIX, ...
    int type;    // SOCK_STREAM, SOCK_DGRAM, ... without SOCK_NONBLOCK / SOCK_CLOEXEC
    int proto;
    double timeout;
} SockState;

// ---- socket_addr.c ----
// A Python address for `family` as a sockaddr.  fname names the method in CPython's messages
// ("bind(): AF_INET address must be tuple, not str").  Host names are resolved (blocking).
bool sockaddr_from_value(Vm *vm, const char *fname, int family, Value addr,
                         struct sockaddr_storage *out, socklen_t *len);
// The Python form of an address: ('127.0.0.1', 80), ('::1', 80, 0, 0), a path str (or bytes for
// Linux's abstract names), None for an empty address.
Value sockaddr_to_value(Vm *vm, const struct sockaddr *sa, socklen_t len);
// sock.family / sock.type as CPython shows them: the AddressFamily / SocketKind member, or the
// plain int for a value without one.
Value socket_family_value(Vm *vm, int family);
Value socket_kind_value(Vm *vm, int type);
// getaddrinfo's answer as CPython's list of 5-tuples (family, type, proto, canonname, sockaddr).
ObjList *addrinfo_to_list(Vm *vm, const struct addrinfo *res);
// Raises socket.gaierror(code, gai_strerror(code)); EAI_SYSTEM raises the errno's OSError.
bool raise_gaierror(Vm *vm, int code);
// Adds the constants and the functions that do not need a socket object (getaddrinfo, inet_*,
// hton*, gethostname, ...) and the exception classes herror and gaierror.
void socket_init_functions(Vm *vm, ObjModule *m);

// ---- mod_socket.c ----
// The default timeout new sockets get (socket.setdefaulttimeout), -1 for None.
extern double socket_default_timeout;
// A new socket object around an open descriptor (owned from now on: closed with the object).
ObjBox *socket_wrap_fd(Vm *vm, int fd, int family, int type, int proto);
// The state of a socket object, or NULL when v is not one.
SockState *socket_state(Value v);
// sock.connect(addr) / sock.bind(addr) on a socket object (create_connection and create_server).
bool socket_connect_value(Vm *vm, Value sock, Value addr);
bool socket_close_value(Vm *vm, Value sock);

// ---- socket_resolver.c ----
// Adds socket._getaddrinfo_start, loop.getaddrinfo's lookup on libuv's resolver.
void socket_resolver_init(Vm *vm, ObjModule *m);

#endif
