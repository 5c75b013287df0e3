/* socket, continued: addresses, name resolution and the module-level functions.
 *
 * Python addresses are CPython's: ('host', port) for AF_INET, ('host', port, flowinfo, scope_id)
 * for AF_INET6 (flowinfo and scope_id optional when given), a str or bytes path for AF_UNIX (a
 * leading NUL byte names Linux's abstract namespace, and such names come back as bytes).  A host
 * is resolved with getaddrinfo(3), which blocks: '' means any address, '<broadcast>' the IPv4
 * broadcast address.
 *
 * Resolution errors are socket.gaierror(code, message) with getaddrinfo's negative codes
 * ("[Errno -2] Name or service not known").  In fuzz builds only numeric hosts resolve: a name
 * would ask the network.
 *
 * create_connection and create_server follow CPython's socket.py behaviour: the first address
 * that connects wins, errors are collected (all_errors=True raises them as an ExceptionGroup),
 * and a server socket gets SO_REUSEADDR before it binds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "socket_shared.h"

// ---- errors -------------------------------------------------------------------------------------

// CPython's count check for _socket's old-style functions: "inet_pton() takes exactly 2
// arguments (1 given)".
static bool exact_args(Vm *vm, const char *fname, int nargs, ObjTuple *kwnames, int n) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "%s() takes no keyword arguments", fname);
    if (nargs != n)
        return vm_raise(vm, vm->TypeError, "%s() takes exactly %d argument%s (%d given)", fname, n,
                        n == 1 ? "" : "s", nargs);
    return true;
}

bool raise_gaierror(Vm *vm, int code) {
    if (code == EAI_SYSTEM) return raise_os_errno(vm, errno, EMPTY_VAL());
    ObjClass *cls = mod_find_class(vm, "socket", "gaierror");
    if (!cls) return false;
    Value args[2] = {INT_VAL(code), OBJ_VAL(str_from_c(vm, gai_strerror(code)))};
    vm_push_root(vm, args[1]);
    Value exc;
    bool ok = vm_call(vm, OBJ_VAL(cls), args, 2, NULL, &exc);
    vm_pop_root(vm);
    return ok ? vm_raise_value(vm, exc) : false;
}

// An OSError of the class Python's OSError(err, message) picks (as CPython's socket.py raises).
static bool raise_errno_message(Vm *vm, int err, ObjStr *message) {
    Value args[2] = {INT_VAL(err), OBJ_VAL(message)};
    vm_push_root(vm, args[1]);
    Value exc;
    bool ok = vm_call(vm, OBJ_VAL(vm->OSError), args, 2, NULL, &exc);
    vm_pop_root(vm);
    return ok ? vm_raise_value(vm, exc) : false;
}

// ---- resolving hosts ----------------------------------------------------------------------------

// The text of a host argument: str, bytes or bytearray.  A bytearray's bytes are copied into
// `copy` (HOST_COPY bytes) to get their terminating NUL.
#define HOST_COPY 1100
static bool host_text(Vm *vm, Value v, const char *what, char *copy, const char **out) {
    if (IS_STR(v)) {
        *out = AS_STR(v)->chars;
        return true;
    }
    if (IS_BYTES(v)) {
        *out = (const char *)AS_BYTES(v)->data;
        return true;
    }
    if (IS_BYTEARRAY(v)) {
        size_t n = AS_BYTEARRAY(v)->length;
        if (n >= HOST_COPY) return vm_raise(vm, vm->UnicodeError, "encoding with 'idna' codec failed (UnicodeError: label too long)");
        memcpy(copy, bytearray_bytes(AS_BYTEARRAY(v)), n);
        copy[n] = '\0';
        *out = copy;
        return true;
    }
    return vm_raise(vm, vm->TypeError, "%s, not %s", what, vm_type_name(vm, v));
}

// getaddrinfo(3), numeric hosts first: only a host that is not a numeric address may reach the
// network (and only that is refused by the fuzz sandbox).
static int resolve(Vm *vm, const char *host, const char *port, const struct addrinfo *hints,
                   struct addrinfo **res, bool *refused) {
    *refused = false;
    struct addrinfo numeric = *hints;
    numeric.ai_flags |= AI_NUMERICHOST;
    int r = getaddrinfo(host, port, &numeric, res);
    if (r != EAI_NONAME || !host || (hints->ai_flags & AI_NUMERICHOST)) return r;
    if (!vm_sandbox_allows(vm, "name resolution", NULL)) {
        *refused = true;
        return 0;
    }
    return getaddrinfo(host, port, hints, res);
}

// Fills the address part of *out (family AF_INET or AF_INET6) for a host name.
static bool set_ip_address(Vm *vm, const char *name, int family, struct sockaddr_storage *out) {
    memset(out, 0, sizeof *out);
    if (name[0] == '\0') { // any address
        out->ss_family = (sa_family_t)family;
        if (family == AF_INET) ((struct sockaddr_in *)out)->sin_addr.s_addr = htonl(INADDR_ANY);
        else ((struct sockaddr_in6 *)out)->sin6_addr = in6addr_any;
        return true;
    }
    if (strcmp(name, "<broadcast>") == 0 || strcmp(name, "255.255.255.255") == 0) {
        if (family != AF_INET) return vm_raise(vm, vm->OSError, "address family mismatched");
        out->ss_family = AF_INET;
        ((struct sockaddr_in *)out)->sin_addr.s_addr = htonl(INADDR_BROADCAST);
        return true;
    }
    struct addrinfo hints = {.ai_family = family}, *res = NULL;
    bool refused;
    int r = resolve(vm, name, NULL, &hints, &res, &refused);
    if (refused) return false;
    if (r != 0) return raise_gaierror(vm, r);
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return true;
}

// A port: an int of 0..65535 (checked after the host resolved, as CPython).
static bool port_arg(Vm *vm, Value v, int64_t *out) { return mod_arg_index(vm, v, out); }

static bool check_port(Vm *vm, const char *fname, int64_t port) {
    if (port < 0 || port > 65535) return vm_raise(vm, vm->OverflowError, "%s(): port must be 0-65535.", fname);
    return true;
}

bool sockaddr_from_value(Vm *vm, const char *fname, int family, Value addr,
                         struct sockaddr_storage *out, socklen_t *len) {
    memset(out, 0, sizeof *out);
    if (family == AF_UNIX) {
        const unsigned char *path;
        size_t n;
        if (IS_STR(addr)) {
            path = (const unsigned char *)AS_STR(addr)->chars;
            n = AS_STR(addr)->length;
        } else {
            ByteSpan span;
            if (!bytes_like_or_raise(vm, addr, &span)) return false;
            path = span.data;
            n = span.length;
        }
        struct sockaddr_un *un = (struct sockaddr_un *)out;
        if (n >= sizeof un->sun_path && !(n == sizeof un->sun_path && path[0] == '\0'))
            return vm_raise(vm, vm->OSError, "AF_UNIX path too long");
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, path, n);
        // An abstract name is exactly its bytes; a path is NUL-terminated.
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (n > 0 && path[0] != '\0'));
        return true;
    }
    if (family != AF_INET && family != AF_INET6)
        return vm_raise(vm, vm->OSError, "%s(): bad family", fname);
    const char *fam = family == AF_INET ? "AF_INET" : "AF_INET6";
    if (!IS_TUPLE(addr))
        return vm_raise(vm, vm->TypeError, "%s(): %s address must be tuple, not %s", fname, fam,
                        vm_type_name(vm, addr));
    ObjTuple *t = AS_TUPLE(addr);
    if (family == AF_INET ? t->count != 2 : (t->count < 2 || t->count > 4))
        return vm_raise(vm, vm->TypeError, family == AF_INET
                                               ? "AF_INET address must be a pair (host, port)"
                                               : "AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])");
    const char *host;
    char host_copy[HOST_COPY];
    int64_t port, flowinfo = 0, scope_id = 0;
    if (!host_text(vm, t->items[0], "str, bytes or bytearray expected", host_copy, &host) || !port_arg(vm, t->items[1], &port))
        return false;
    if (t->count > 2 && !mod_arg_index(vm, t->items[2], &flowinfo)) return false;
    if (t->count > 3 && !mod_arg_index(vm, t->items[3], &scope_id)) return false;
    vm_push_root(vm, addr); // host points into it while resolving
    bool ok = set_ip_address(vm, host, family, out);
    vm_pop_root(vm);
    if (!ok || !check_port(vm, fname, port)) return false;
    if (family == AF_INET) {
        ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
        *len = sizeof(struct sockaddr_in);
        return true;
    }
    if (flowinfo < 0 || flowinfo > 0xfffff)
        return vm_raise(vm, vm->OverflowError, "%s(): flowinfo must be 0-1048575.", fname);
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    in6->sin6_port = htons((uint16_t)port);
    in6->sin6_flowinfo = htonl((uint32_t)flowinfo);
    if (t->count > 3) in6->sin6_scope_id = (uint32_t)scope_id;
    *len = sizeof(struct sockaddr_in6);
    return true;
}

Value sockaddr_to_value(Vm *vm, const struct sockaddr *sa, socklen_t len) {
    if (len == 0) return NONE_VAL();
    char text[INET6_ADDRSTRLEN];
    switch (sa->sa_family) {
    case AF_INET: {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        Value host = OBJ_VAL(str_from_c(vm, text));
        vm_push_root(vm, host);
        Value t = OBJ_VAL(tuple_pair(vm, host, INT_VAL(ntohs(in->sin_port))));
        vm_pop_root(vm);
        return t;
    }
    case AF_INET6: {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        ObjTuple *t = tuple_new(vm, 4);
        vm_push_root(vm, OBJ_VAL(t));
        t->items[0] = OBJ_VAL(str_from_c(vm, text));
        t->items[1] = INT_VAL(ntohs(in6->sin6_port));
        t->items[2] = INT_VAL(ntohl(in6->sin6_flowinfo));
        t->items[3] = INT_VAL(in6->sin6_scope_id);
        vm_pop_root(vm);
        return OBJ_VAL(t);
    }
    case AF_UNIX: {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t offset = offsetof(struct sockaddr_un, sun_path);
        size_t n = len > offset ? len - offset : 0;
        if (n > sizeof un->sun_path) n = sizeof un->sun_path;
        if (n > 0 && un->sun_path[0] == '\0') return OBJ_VAL(bytes_new(vm, un->sun_path, n));
        return OBJ_VAL(str_new(vm, un->sun_path, strnlen(un->sun_path, n)));
    }
    default: {
        Value data = OBJ_VAL(bytes_new(vm, sa->sa_data, sizeof sa->sa_data));
        vm_push_root(vm, data);
        Value t = OBJ_VAL(tuple_pair(vm, INT_VAL(sa->sa_family), data));
        vm_pop_root(vm);
        return t;
    }
    }
}

// ---- getaddrinfo and friends --------------------------------------------------------------------


ObjList *addrinfo_to_list(Vm *vm, const struct addrinfo *res) {
    ObjList *list = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(list));
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        ObjTuple *t = tuple_new(vm, 5);
        vm_push_root(vm, OBJ_VAL(t));
        t->items[0] = socket_family_value(vm, ai->ai_family);
        t->items[1] = socket_kind_value(vm, ai->ai_socktype);
        t->items[2] = INT_VAL(ai->ai_protocol);
        t->items[3] = OBJ_VAL(ai->ai_canonname ? str_from_c(vm, ai->ai_canonname) : vm->s_empty);
        t->items[4] = sockaddr_to_value(vm, ai->ai_addr, ai->ai_addrlen);
        list_append(vm, list, OBJ_VAL(t));
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    return list;
}

// getaddrinfo(host, port, family=0, type=0, proto=0, flags=0) ->
//     [(family, type, proto, canonname, sockaddr), ...]
static bool socket_getaddrinfo(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"host", "port", "family", "type", "proto", "flags", NULL};
    Value a[6];
    if (!parse_args(vm, "getaddrinfo", args, nargs, kwnames, names, 2, a)) return false;
    const char *host = NULL, *port = NULL;
    char port_digits[24], host_copy[HOST_COPY];
    if (IS_STR(a[0]) || IS_BYTES(a[0])) {
        if (!host_text(vm, a[0], "", host_copy, &host)) return false;
    } else if (!IS_NONE(a[0])) {
        return vm_raise(vm, vm->TypeError, "getaddrinfo() argument 1 must be string or None");
    }
    if (IS_INTLIKE(a[1])) {
        snprintf(port_digits, sizeof port_digits, "%lld", (long long)AS_INTLIKE(a[1]));
        port = port_digits;
    } else if (IS_STR(a[1])) {
        port = AS_STR(a[1])->chars;
    } else if (IS_BYTES(a[1])) {
        port = (const char *)AS_BYTES(a[1])->data;
    } else if (!IS_NONE(a[1])) {
        return vm_raise(vm, vm->OSError, "Int or String expected");
    }
    int64_t opts[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        if (!IS_EMPTY(a[2 + i]) && !mod_arg_index(vm, a[2 + i], &opts[i])) return false;
    struct addrinfo hints = {.ai_family = (int)opts[0], .ai_socktype = (int)opts[1],
                             .ai_protocol = (int)opts[2], .ai_flags = (int)opts[3]};
    struct addrinfo *res = NULL;
    bool refused;
    int r = resolve(vm, host, port, &hints, &res, &refused);
    if (refused) return false;
    if (r != 0) return raise_gaierror(vm, r);
    ObjList *list = addrinfo_to_list(vm, res);
    freeaddrinfo(res);
    *result = OBJ_VAL(list);
    return true;
}

static bool socket_gethostname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "_socket.gethostname", nargs, kwnames, 0, 0)) return false;
    char name[256];
    if (gethostname(name, sizeof name) != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    name[sizeof name - 1] = '\0';
    *result = OBJ_VAL(str_new(vm, name, strlen(name)));
    return true;
}

// gethostbyname(name) -> '127.0.0.1': the first IPv4 address of the name.
static bool socket_gethostbyname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *host;
    char host_copy[HOST_COPY];
    if (!exact_args(vm, "gethostbyname", nargs, kwnames, 1) ||
        !host_text(vm, args[0], "gethostbyname() argument 1 must be str, bytes or bytearray", host_copy, &host))
        return false;
    struct sockaddr_storage ss;
    if (!set_ip_address(vm, host, AF_INET, &ss)) return false;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, text, sizeof text);
    *result = OBJ_VAL(str_from_c(vm, text));
    return true;
}

// getnameinfo((host, port[, flowinfo[, scope_id]]), flags) -> (host, port) as strs.
static bool socket_getnameinfo(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t flags;
    if (!exact_args(vm, "getnameinfo", nargs, kwnames, 2)) return false;
    if (!IS_TUPLE(args[0])) return vm_raise(vm, vm->TypeError, "getnameinfo() argument 1 must be a tuple");
    ObjTuple *t = AS_TUPLE(args[0]);
    if (t->count < 2 || t->count > 4) return vm_raise(vm, vm->TypeError, "getnameinfo(): illegal sockaddr argument");
    if (!mod_arg_index(vm, args[1], &flags)) return false;
    const char *host;
    char host_copy[HOST_COPY], port_digits[24];
    int64_t port, flowinfo = 0, scope_id = 0;
    if (!host_text(vm, t->items[0], "str, bytes or bytearray expected", host_copy, &host) ||
        !mod_arg_index(vm, t->items[1], &port))
        return false;
    if (t->count > 2 && !mod_arg_index(vm, t->items[2], &flowinfo)) return false;
    if (t->count > 3 && !mod_arg_index(vm, t->items[3], &scope_id)) return false;
    snprintf(port_digits, sizeof port_digits, "%lld", (long long)port);
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST}, *res = NULL;
    int r = getaddrinfo(host, port_digits, &hints, &res);
    if (r != 0) return raise_gaierror(vm, r);
    if (res->ai_next) {
        freeaddrinfo(res);
        return vm_raise(vm, vm->OSError, "sockaddr resolved to multiple addresses");
    }
    struct sockaddr_storage ss;
    memcpy(&ss, res->ai_addr, res->ai_addrlen);
    socklen_t len = res->ai_addrlen;
    freeaddrinfo(res);
    if (ss.ss_family == AF_INET6) {
        ((struct sockaddr_in6 *)&ss)->sin6_flowinfo = htonl((uint32_t)flowinfo);
        ((struct sockaddr_in6 *)&ss)->sin6_scope_id = (uint32_t)scope_id;
    } else if (t->count != 2) {
        return vm_raise(vm, vm->OSError, "IPv4 sockaddr must be 2 tuple");
    }
    char hbuf[NI_MAXHOST], sbuf[NI_MAXSERV];
    if (!(flags & NI_NUMERICHOST) && !vm_sandbox_allows(vm, "name resolution", NULL)) return false;
    r = getnameinfo((struct sockaddr *)&ss, len, hbuf, sizeof hbuf, sbuf, sizeof sbuf, (int)flags);
    if (r != 0) return raise_gaierror(vm, r);
    Value h = OBJ_VAL(str_from_c(vm, hbuf));
    vm_push_root(vm, h);
    Value sv = OBJ_VAL(str_from_c(vm, sbuf));
    vm_push_root(vm, sv);
    *result = OBJ_VAL(tuple_pair(vm, h, sv));
    vm_pop_roots(vm, 2);
    return true;
}

// getservbyname(name[, proto]) -> port; getservbyport(port[, proto]) -> name;
// getprotobyname(name) -> number: lookups in the system's tables (/etc/services, /etc/protocols).
static bool optional_proto(Vm *vm, const char *fname, Value *args, int nargs, ObjTuple *kwnames, const char **proto) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "%s() takes no keyword arguments", fname);
    if (nargs < 1 || nargs > 2)
        return vm_raise(vm, vm->TypeError, "%s() takes at %s %d argument%s (%d given)", fname,
                        nargs < 1 ? "least" : "most", nargs < 1 ? 1 : 2, nargs < 1 ? "" : "s", nargs);
    *proto = NULL;
    if (nargs == 2) {
        if (!IS_STR(args[1]))
            return vm_raise(vm, vm->TypeError, "%s() argument 2 must be str, not %s", fname, vm_type_name(vm, args[1]));
        *proto = AS_STR(args[1])->chars;
    }
    return true;
}

static bool socket_getservbyname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *proto;
    if (!optional_proto(vm, "getservbyname", args, nargs, kwnames, &proto)) return false;
    if (!IS_STR(args[0]))
        return vm_raise(vm, vm->TypeError, "getservbyname() argument 1 must be str, not %s", vm_type_name(vm, args[0]));
    struct servent *se = getservbyname(AS_STR(args[0])->chars, proto);
    if (!se) return vm_raise(vm, vm->OSError, "service/proto not found");
    *result = INT_VAL(ntohs((uint16_t)se->s_port));
    return true;
}

static bool socket_getservbyport(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *proto;
    int64_t port;
    if (!optional_proto(vm, "getservbyport", args, nargs, kwnames, &proto) || !mod_arg_index(vm, args[0], &port))
        return false;
    if (port < 0 || port > 65535) return vm_raise(vm, vm->OverflowError, "getservbyport: port must be 0-65535.");
    struct servent *se = getservbyport(htons((uint16_t)port), proto);
    if (!se) return vm_raise(vm, vm->OSError, "port/proto not found");
    *result = OBJ_VAL(str_from_c(vm, se->s_name));
    return true;
}

static bool socket_getprotobyname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!exact_args(vm, "getprotobyname", nargs, kwnames, 1)) return false;
    if (!IS_STR(args[0]))
        return vm_raise(vm, vm->TypeError, "getprotobyname() argument 1 must be str, not %s", vm_type_name(vm, args[0]));
    struct protoent *pe = getprotobyname(AS_STR(args[0])->chars);
    if (!pe) return vm_raise(vm, vm->OSError, "protocol not found");
    *result = INT_VAL(pe->p_proto);
    return true;
}

// close(fd): closes a socket descriptor the program holds as an int (after detach()).
static bool socket_close_fd(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t fd;
    if (!check_args(vm, "close", nargs, kwnames, 1, 1) || !mod_arg_index(vm, args[0], &fd)) return false;
    if (close((int)fd) != 0 && errno != ECONNRESET) return raise_os_errno(vm, errno, EMPTY_VAL());
    *result = NONE_VAL();
    return true;
}

// ---- packed addresses and byte order ------------------------------------------------------------

static bool socket_inet_aton(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!exact_args(vm, "inet_aton", nargs, kwnames, 1)) return false;
    if (!IS_STR(args[0]))
        return vm_raise(vm, vm->TypeError, "inet_aton() argument 1 must be str, not %s", arg_type_name(vm, args[0]));
    struct in_addr in;
    if (inet_aton(AS_STR(args[0])->chars, &in) == 0)
        return vm_raise(vm, vm->OSError, "illegal IP address string passed to inet_aton");
    *result = OBJ_VAL(bytes_new(vm, &in, sizeof in));
    return true;
}

static bool socket_inet_ntoa(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!exact_args(vm, "inet_ntoa", nargs, kwnames, 1)) return false;
    ByteSpan packed;
    if (!bytes_like_or_raise(vm, args[0], &packed)) return false;
    if (packed.length != 4) return vm_raise(vm, vm->OSError, "packed IP wrong length for inet_ntoa");
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, packed.data, text, sizeof text);
    *result = OBJ_VAL(str_from_c(vm, text));
    return true;
}

static bool socket_inet_pton(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t family;
    if (!exact_args(vm, "inet_pton", nargs, kwnames, 2) || !mod_arg_index(vm, args[0], &family)) return false;
    if (!IS_STR(args[1]))
        return vm_raise(vm, vm->TypeError, "inet_pton() argument 2 must be str, not %s", arg_type_name(vm, args[1]));
    unsigned char buf[sizeof(struct in6_addr)];
    int r = inet_pton((int)family, AS_STR(args[1])->chars, buf);
    if (r < 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    if (r == 0) return vm_raise(vm, vm->OSError, "illegal IP address string passed to inet_pton");
    *result = OBJ_VAL(bytes_new(vm, buf, family == AF_INET ? 4 : 16));
    return true;
}

static bool socket_inet_ntop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t family;
    if (!exact_args(vm, "inet_ntop", nargs, kwnames, 2) || !mod_arg_index(vm, args[0], &family)) return false;
    ByteSpan packed;
    if (!bytes_like_or_raise(vm, args[1], &packed)) return false;
    if (family != AF_INET && family != AF_INET6)
        return vm_raise(vm, vm->ValueError, "unknown address family %lld", (long long)family);
    if (packed.length != (family == AF_INET ? 4u : 16u))
        return vm_raise(vm, vm->ValueError, "invalid length of packed IP address string");
    char text[INET6_ADDRSTRLEN];
    inet_ntop((int)family, packed.data, text, sizeof text);
    *result = OBJ_VAL(str_from_c(vm, text));
    return true;
}

// htons, ntohs, htonl, ntohl: the byte swaps of 16 and 32 bits.
static bool byte_order(Vm *vm, const char *fname, Value *args, int nargs, ObjTuple *kwnames, bool wide,
                       Value *result) {
    int64_t x;
    if (!exact_args(vm, fname, nargs, kwnames, 1) || !mod_arg_index(vm, args[0], &x)) return false;
    if (x < 0)
        return vm_raise(vm, vm->OverflowError, wide ? "can't convert negative value to unsigned int"
                                                    : "%s: can't convert negative Python int to C 16-bit unsigned integer", fname);
    if (wide ? x > 0xffffffffLL : x > 0xffff)
        return vm_raise(vm, vm->OverflowError, wide ? "int larger than 32 bits"
                                                    : "%s: Python int too large to convert to C 16-bit unsigned integer", fname);
    *result = INT_VAL(wide ? (int64_t)htonl((uint32_t)x) : (int64_t)htons((uint16_t)x));
    return true;
}

static bool socket_htons(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return byte_order(vm, "htons", args, nargs, kwnames, false, result);
}
static bool socket_ntohs(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return byte_order(vm, "ntohs", args, nargs, kwnames, false, result);
}
static bool socket_htonl(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return byte_order(vm, "htonl", args, nargs, kwnames, true, result);
}
static bool socket_ntohl(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return byte_order(vm, "ntohl", args, nargs, kwnames, true, result);
}

// ---- create_connection, create_server -----------------------------------------------------------

// A new socket object: socket(family, type, proto).
static bool new_socket(Vm *vm, int family, int type, int proto, Value *out) {
    Value args[3] = {INT_VAL(family), INT_VAL(type), INT_VAL(proto)};
    ObjClass *cls = mod_find_class(vm, "socket", "socket");
    return cls && vm_call(vm, OBJ_VAL(cls), args, 3, NULL, out);
}

static bool call_method(Vm *vm, Value obj, const char *name, Value *args, int nargs) {
    Value r;
    int found = vm_call_method(vm, obj, str_from_c(vm, name), args, nargs, &r);
    if (found == 0) return vm_raise(vm, vm->AttributeError, "socket has no attribute '%s'", name);
    return found > 0;
}

// The pending exception, taken off the VM (for create_connection's list of failures).
static Value take_exception(Vm *vm) {
    Value e = vm->exception;
    vm_clear_exception(vm);
    return e;
}

// create_connection(address, timeout=<default>, source_address=None, *, all_errors=False)
static bool socket_create_connection(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"address", "timeout", "source_address", "all_errors", NULL};
    Value a[4];
    if (!parse_args(vm, "create_connection", args, nargs, kwnames, names, 1, a)) return false;
    ObjList *pair = vm_list_from_iterable(vm, a[0]); // host, port = address
    if (!pair) {
        if (vm_exception_matches(vm, vm->TypeError)) {
            vm_clear_exception(vm);
            return vm_raise(vm, vm->TypeError, "cannot unpack non-iterable %s object", vm_type_name(vm, a[0]));
        }
        return false;
    }
    if (pair->count > 2) return vm_raise(vm, vm->ValueError, "too many values to unpack (expected 2)");
    if (pair->count < 2)
        return vm_raise(vm, vm->ValueError, "not enough values to unpack (expected 2, got %zu)", pair->count);
    vm_push_root(vm, OBJ_VAL(pair));
    Value default_timeout = OBJ_VAL(str_from_c(vm, "_GLOBAL_DEFAULT_TIMEOUT"));
    Value sentinel = EMPTY_VAL();
    Value mod = dict_get_str(vm->modules, str_from_c(vm, "socket"));
    if (IS_MODULE(mod)) sentinel = dict_get_str(AS_MODULE(mod)->globals, AS_STR(default_timeout));
    bool set_timeout = !IS_EMPTY(a[1]) && !(IS_OBJ(a[1]) && IS_OBJ(sentinel) && AS_OBJ(a[1]) == AS_OBJ(sentinel));
    bool all_errors = false;
    if (!IS_EMPTY(a[3]) && !vm_truthy(vm, a[3], &all_errors)) return false;
    Value gai_args[4] = {pair->items[0], pair->items[1], INT_VAL(0), INT_VAL(SOCK_STREAM)};
    Value infos;
    bool resolved = socket_getaddrinfo(vm, gai_args, 4, NULL, &infos);
    vm_pop_root(vm);
    if (!resolved) return false;
    vm_push_root(vm, infos);
    ObjList *errors = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(errors));
    ObjList *list = AS_LIST(infos);
    for (size_t i = 0; i < list->count; i++) {
        ObjTuple *info = AS_TUPLE(list->items[i]);
        Value sock;
        int64_t family = 0, kind = 0;
        if (!mod_arg_index(vm, info->items[0], &family) || !mod_arg_index(vm, info->items[1], &kind) ||
            !new_socket(vm, (int)family, (int)kind, (int)AS_INT(info->items[2]), &sock)) {
            list_append(vm, errors, take_exception(vm));
            continue;
        }
        vm_push_root(vm, sock);
        bool ok = (!set_timeout || call_method(vm, sock, "settimeout", &a[1], 1)) &&
                  (IS_EMPTY(a[2]) || IS_NONE(a[2]) || call_method(vm, sock, "bind", &a[2], 1)) &&
                  socket_connect_value(vm, sock, info->items[4]);
        if (ok) {
            vm_pop_roots(vm, 3);
            *result = sock;
            return true;
        }
        Value e = take_exception(vm);
        vm_push_root(vm, e);
        if (!vm_is_instance(vm, e, vm->OSError)) { // not a connection failure: it propagates
            socket_close_value(vm, sock);
            vm_pop_roots(vm, 4);
            return vm_raise_value(vm, e);
        }
        list_append(vm, errors, e);
        vm_pop_root(vm);
        socket_close_value(vm, sock);
        vm_clear_exception(vm);
        vm_pop_root(vm);
    }
    vm_pop_roots(vm, 2);
    if (errors->count == 0) return vm_raise(vm, vm->OSError, "getaddrinfo returns an empty list");
    if (!all_errors) return vm_raise_value(vm, errors->items[0]);
    vm_push_root(vm, OBJ_VAL(errors));
    Value group_args[2] = {OBJ_VAL(str_from_c(vm, "create_connection failed")), OBJ_VAL(errors)};
    vm_push_root(vm, group_args[0]);
    Value group;
    bool ok = vm_call(vm, OBJ_VAL(vm->ExceptionGroup), group_args, 2, NULL, &group);
    vm_pop_roots(vm, 2);
    return ok ? vm_raise_value(vm, group) : false;
}

// create_server(address, *, family=AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False)
static bool socket_create_server(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"address", "family", "backlog", "reuse_port", "dualstack_ipv6", NULL};
    Value a[5];
    if (!parse_args(vm, "create_server", args, nargs, kwnames, names, 1, a)) return false;
    int64_t family = AF_INET;
    if (!IS_EMPTY(a[1]) && !mod_arg_index(vm, a[1], &family)) return false;
    bool reuse_port = false, dualstack = false;
    if (!IS_EMPTY(a[3]) && !vm_truthy(vm, a[3], &reuse_port)) return false;
    if (!IS_EMPTY(a[4]) && !vm_truthy(vm, a[4], &dualstack)) return false;
    if (dualstack && family != AF_INET6)
        return vm_raise(vm, vm->ValueError, "dualstack_ipv6 requires AF_INET6 family");
    Value sock;
    if (!new_socket(vm, (int)family, SOCK_STREAM, 0, &sock)) return false;
    vm_push_root(vm, sock);
    SockState *st = socket_state(sock);
    int one = 1, zero = 0;
    bool ok = true;
    if (setsockopt(st->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) ok = raise_os_errno(vm, errno, EMPTY_VAL());
    if (ok && reuse_port && setsockopt(st->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        ok = raise_os_errno(vm, errno, EMPTY_VAL());
    if (ok && family == AF_INET6 &&
        setsockopt(st->fd, IPPROTO_IPV6, IPV6_V6ONLY, dualstack ? &zero : &one, sizeof one) != 0)
        ok = raise_os_errno(vm, errno, EMPTY_VAL());
    if (ok) {
        struct sockaddr_storage ss;
        socklen_t len;
        ok = sockaddr_from_value(vm, "bind", (int)family, a[0], &ss, &len);
        if (ok && bind(st->fd, (struct sockaddr *)&ss, len) != 0) {
            int err = errno;
            ObjStr *where = vm_repr(vm, a[0]);
            ok = false;
            if (where)
                raise_errno_message(vm, err, str_printf(vm, "%s (while attempting to bind on address %s)",
                                                        strerror(err), where->chars));
        }
    }
    if (ok) {
        Value backlog[1] = {a[2]};
        ok = call_method(vm, sock, "listen", backlog, IS_EMPTY(a[2]) || IS_NONE(a[2]) ? 0 : 1);
    }
    if (!ok) {
        Value e = take_exception(vm);
        vm_push_root(vm, e);
        socket_close_value(vm, sock);
        vm_clear_exception(vm);
        vm_pop_roots(vm, 2);
        return vm_raise_value(vm, e);
    }
    vm_pop_root(vm);
    *result = sock;
    return true;
}

static bool socket_has_dualstack_ipv6(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "has_dualstack_ipv6", nargs, kwnames, 0, 0)) return false;
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int zero = 0;
    *result = BOOL_VAL(fd >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) == 0);
    if (fd >= 0) close(fd);
    return true;
}

// ---- the module's namespace ---------------------------------------------------------------------

static const struct {
    const char *name;
    long value;
} socket_constants[] = {
    {"SOL_SOCKET", SOL_SOCKET}, {"SO_REUSEADDR", SO_REUSEADDR}, {"SO_REUSEPORT", SO_REUSEPORT},
    {"SO_ERROR", SO_ERROR}, {"SO_KEEPALIVE", SO_KEEPALIVE}, {"SO_SNDBUF", SO_SNDBUF},
    {"SO_RCVBUF", SO_RCVBUF}, {"SO_TYPE", SO_TYPE}, {"SO_BROADCAST", SO_BROADCAST},
    {"SO_LINGER", SO_LINGER}, {"SO_RCVLOWAT", SO_RCVLOWAT}, {"SO_SNDLOWAT", SO_SNDLOWAT},
    {"SO_RCVTIMEO", SO_RCVTIMEO}, {"SO_SNDTIMEO", SO_SNDTIMEO}, {"SO_ACCEPTCONN", SO_ACCEPTCONN},
    {"SO_DOMAIN", SO_DOMAIN}, {"SO_PROTOCOL", SO_PROTOCOL}, {"SO_OOBINLINE", SO_OOBINLINE},
    {"SOMAXCONN", SOMAXCONN},
    {"IPPROTO_IP", IPPROTO_IP}, {"IPPROTO_TCP", IPPROTO_TCP}, {"IPPROTO_UDP", IPPROTO_UDP},
    {"IPPROTO_IPV6", IPPROTO_IPV6}, {"IPPROTO_ICMP", IPPROTO_ICMP}, {"IPPROTO_RAW", IPPROTO_RAW},
    {"IPV6_V6ONLY", IPV6_V6ONLY}, {"IP_TTL", IP_TTL}, {"IP_TOS", IP_TOS},
    {"TCP_NODELAY", TCP_NODELAY}, {"TCP_MAXSEG", TCP_MAXSEG}, {"TCP_KEEPIDLE", TCP_KEEPIDLE},
    {"TCP_KEEPINTVL", TCP_KEEPINTVL}, {"TCP_KEEPCNT", TCP_KEEPCNT}, {"TCP_QUICKACK", TCP_QUICKACK},
    {"SHUT_RD", SHUT_RD}, {"SHUT_WR", SHUT_WR}, {"SHUT_RDWR", SHUT_RDWR},
    {"MSG_PEEK", MSG_PEEK}, {"MSG_DONTWAIT", MSG_DONTWAIT}, {"MSG_WAITALL", MSG_WAITALL},
    {"MSG_NOSIGNAL", MSG_NOSIGNAL}, {"MSG_OOB", MSG_OOB}, {"MSG_TRUNC", MSG_TRUNC},
    {"MSG_DONTROUTE", MSG_DONTROUTE}, {"MSG_EOR", MSG_EOR},
    {"AI_PASSIVE", AI_PASSIVE}, {"AI_CANONNAME", AI_CANONNAME}, {"AI_NUMERICHOST", AI_NUMERICHOST},
    {"AI_NUMERICSERV", AI_NUMERICSERV}, {"AI_ADDRCONFIG", AI_ADDRCONFIG}, {"AI_V4MAPPED", AI_V4MAPPED},
    {"AI_ALL", AI_ALL},
    {"NI_NUMERICHOST", NI_NUMERICHOST}, {"NI_NUMERICSERV", NI_NUMERICSERV}, {"NI_NAMEREQD", NI_NAMEREQD},
    {"NI_NOFQDN", NI_NOFQDN}, {"NI_DGRAM", NI_DGRAM}, {"NI_MAXHOST", NI_MAXHOST}, {"NI_MAXSERV", NI_MAXSERV},
    {"EAI_AGAIN", EAI_AGAIN}, {"EAI_BADFLAGS", EAI_BADFLAGS}, {"EAI_FAIL", EAI_FAIL},
    {"EAI_FAMILY", EAI_FAMILY}, {"EAI_MEMORY", EAI_MEMORY}, {"EAI_NONAME", EAI_NONAME},
    {"EAI_SERVICE", EAI_SERVICE}, {"EAI_SOCKTYPE", EAI_SOCKTYPE}, {"EAI_SYSTEM", EAI_SYSTEM},
    {"INADDR_ANY", INADDR_ANY}, {"INADDR_LOOPBACK", INADDR_LOOPBACK},
    {"INADDR_BROADCAST", (long)INADDR_BROADCAST}, {"INADDR_NONE", (long)INADDR_NONE},
    {NULL, 0},
};

// AddressFamily and SocketKind, CPython's IntEnum classes of AF_* and SOCK_* (the other
// constants stay plain ints).
static const IntEnumMember address_families[] = {
    {"AF_UNSPEC", AF_UNSPEC}, {"AF_UNIX", AF_UNIX}, {"AF_INET", AF_INET}, {"AF_INET6", AF_INET6}, {NULL, 0},
};
static const IntEnumMember socket_kinds[] = {
    {"SOCK_STREAM", SOCK_STREAM},     {"SOCK_DGRAM", SOCK_DGRAM},       {"SOCK_RAW", SOCK_RAW},
    {"SOCK_SEQPACKET", SOCK_SEQPACKET}, {"SOCK_NONBLOCK", SOCK_NONBLOCK}, {"SOCK_CLOEXEC", SOCK_CLOEXEC},
    {NULL, 0},
};

Value socket_family_value(Vm *vm, int family) {
    ObjClass *cls = mod_find_class(vm, "socket", "AddressFamily");
    if (!cls) vm_clear_exception(vm);
    return cls ? intenum_member(vm, cls, family) : INT_VAL(family);
}

Value socket_kind_value(Vm *vm, int type) {
    ObjClass *cls = mod_find_class(vm, "socket", "SocketKind");
    if (!cls) vm_clear_exception(vm);
    return cls ? intenum_member(vm, cls, type) : INT_VAL(type);
}

static const MethodDef socket_functions[] = {
    {"getaddrinfo", socket_getaddrinfo},
    {"gethostname", socket_gethostname},
    {"gethostbyname", socket_gethostbyname},
    {"inet_aton", socket_inet_aton},
    {"inet_ntoa", socket_inet_ntoa},
    {"inet_pton", socket_inet_pton},
    {"inet_ntop", socket_inet_ntop},
    {"htons", socket_htons},
    {"ntohs", socket_ntohs},
    {"htonl", socket_htonl},
    {"ntohl", socket_ntohl},
    {"create_connection", socket_create_connection},
    {"create_server", socket_create_server},
    {"has_dualstack_ipv6", socket_has_dualstack_ipv6},
    {"getnameinfo", socket_getnameinfo},
    {"getservbyname", socket_getservbyname},
    {"getservbyport", socket_getservbyport},
    {"getprotobyname", socket_getprotobyname},
    {"close", socket_close_fd},
    {NULL, NULL},
};

// An exception class of the socket module (herror, gaierror), not a builtin.
static void module_exception(Vm *vm, ObjModule *m, const char *name, ObjClass *base) {
    ObjClass *cls = mod_class(vm, m, name, base, OBJ_EXCEPTION);
    cls->flags |= CLASS_EXCEPTION;
    cls->flags &= ~CLASS_BUILTIN;
}

void socket_init_functions(Vm *vm, ObjModule *m) {
    for (int i = 0; socket_constants[i].name; i++)
        mod_set(vm, m, socket_constants[i].name, INT_VAL(socket_constants[i].value));
    intenum_class(vm, m, "AddressFamily", address_families);
    intenum_class(vm, m, "SocketKind", socket_kinds);
    mod_set(vm, m, "has_ipv6", BOOL_VAL(true));
    for (const MethodDef *d = socket_functions; d->name; d++) define_native(vm, m->globals, d->name, d->fn);
    module_exception(vm, m, "herror", vm->OSError);
    module_exception(vm, m, "gaierror", vm->OSError);
    mod_set(vm, m, "_GLOBAL_DEFAULT_TIMEOUT", OBJ_VAL(instance_new(vm, vm->object_class)));
}
