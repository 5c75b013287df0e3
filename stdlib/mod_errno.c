/* The errno module: the system's error numbers by name (errno.ECONNRESET), and errorcode,
 * the table from a number back to its name.  The values come from <errno.h> at build time, so
 * they are this system's, as in CPython.  Where two names share a number (EAGAIN and
 * EWOULDBLOCK, EDEADLK and EDEADLOCK, ENOTSUP and EOPNOTSUPP), errorcode keeps the one CPython
 * shows on Linux: the table lists it last, and a later entry replaces an earlier one.
 */
#include "modinit.h"

#include <errno.h>

#define ERRNO_NAMES(E) \
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF) E(ECHILD) \
    E(EWOULDBLOCK) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(ENOTBLK) E(EBUSY) E(EEXIST) E(EXDEV) \
    E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) \
    E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(EDOM) E(ERANGE) E(EDEADLK) E(EDEADLOCK) \
    E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(ENOMSG) E(EIDRM) E(ECHRNG) \
    E(EL2NSYNC) E(EL3HLT) E(EL3RST) E(ELNRNG) E(EUNATCH) E(ENOCSI) E(EL2HLT) E(EBADE) E(EBADR) \
    E(EXFULL) E(ENOANO) E(EBADRQC) E(EBADSLT) E(EBFONT) E(ENOSTR) E(ENODATA) E(ETIME) E(ENOSR) \
    E(ENONET) E(ENOPKG) E(EREMOTE) E(ENOLINK) E(EADV) E(ESRMNT) E(ECOMM) E(EPROTO) E(EMULTIHOP) \
    E(EDOTDOT) E(EBADMSG) E(EOVERFLOW) E(ENOTUNIQ) E(EBADFD) E(EREMCHG) E(ELIBACC) E(ELIBBAD) \
    E(ELIBSCN) E(ELIBMAX) E(ELIBEXEC) E(EILSEQ) E(ERESTART) E(ESTRPIPE) E(EUSERS) E(ENOTSOCK) \
    E(EDESTADDRREQ) E(EMSGSIZE) E(EPROTOTYPE) E(ENOPROTOOPT) E(EPROTONOSUPPORT) E(ESOCKTNOSUPPORT) \
    E(EOPNOTSUPP) E(ENOTSUP) E(EPFNOSUPPORT) E(EAFNOSUPPORT) E(EADDRINUSE) E(EADDRNOTAVAIL) \
    E(ENETDOWN) E(ENETUNREACH) E(ENETRESET) E(ECONNABORTED) E(ECONNRESET) E(ENOBUFS) E(EISCONN) \
    E(ENOTCONN) E(ESHUTDOWN) E(ETOOMANYREFS) E(ETIMEDOUT) E(ECONNREFUSED) E(EHOSTDOWN) \
    E(EHOSTUNREACH) E(EALREADY) E(EINPROGRESS) E(ESTALE) E(EUCLEAN) E(ENOTNAM) E(ENAVAIL) E(EISNAM) \
    E(EREMOTEIO) E(EDQUOT) E(ENOMEDIUM) E(EMEDIUMTYPE) E(ECANCELED) E(ENOKEY) E(EKEYEXPIRED) \
    E(EKEYREVOKED) E(EKEYREJECTED) E(EOWNERDEAD) E(ENOTRECOVERABLE) E(ERFKILL) \

ObjModule *mod_errno_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "errno");
    vm_push_root(vm, OBJ_VAL(m));
    ObjDict *errorcode = dict_new(vm);
    mod_set(vm, m, "errorcode", OBJ_VAL(errorcode));
    static const struct {
        const char *name;
        int value;
    } numbers[] = {
#define E(name) {#name, name},
        ERRNO_NAMES(E)
#undef E
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        mod_set(vm, m, numbers[i].name, INT_VAL(numbers[i].value));
        ObjStr *name = str_from_c(vm, numbers[i].name);
        vm_push_root(vm, OBJ_VAL(name));
        dict_set(vm, errorcode, INT_VAL(numbers[i].value), OBJ_VAL(name));
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    return m;
}
