/* _ssl: the C half of the ssl module, on OpenSSL.  stdlib/ssl.aio is the half a program sees
 * (SSLContext, SSLObject, the enums and the exception classes); this file owns only what needs
 * OpenSSL, as three small boxed objects:
 *
 *   _ssl.new_context(server_side) -> _ssl.Context
 *                               an SSL_CTX: certificates, trust store, verification, ciphers
 *   _ssl.MemoryBIO()            a memory BIO: bytes in, bytes out (ssl.MemoryBIO is this class)
 *   _ssl.new_session(ctx, incoming, outgoing, server_side, hostname, check_hostname)
 *                               -> _ssl.Session, one connection's state: it reads the peer's
 *                               bytes from the `incoming` BIO and writes its own to `outgoing`
 *
 * A Session never touches a socket: whoever drives it (SSLObject in ssl.aio, asyncio's TLS layer
 * in asyncio/sslproto.aio) moves bytes between the BIOs and the network.  That is why one
 * implementation serves both the blocking and the asynchronous world.
 *
 * Ownership: each box holds its own OpenSSL reference (SSL_CTX_up_ref, BIO_up_ref), and its
 * finalizer drops it; OpenSSL frees an object when its last reference goes.  So the GC may sweep
 * the boxes in any order.  The boxes hold no Values, so the GC has nothing to trace in them.
 *
 * Errors: OpenSSL's error queue is turned into the message CPython builds,
 *   "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (...)"
 * and the exception object is made by ssl.aio's _ssl._make_error(kind, errno, message, library,
 * reason, verify_code, verify_message), which the ssl module stores here when it is imported.
 * The location in parentheses names this file and line, where CPython names _ssl.c's.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "modinit.h"

// SSL_get_error's codes as CPython numbers them in SSLError.errno (its SSL_ERROR_EOF is its own).
enum { ERRNO_EOF = 8 };

// ---- the boxes ------------------------------------------------------------------------------------

static void ctx_finalize(void *data) { SSL_CTX_free(data); }
typedef struct {
    BIO *bio;
    bool eof_written; // write_eof() was called: reading past the data is end of file
} MemBio;

static void bio_finalize(void *data) {
    MemBio *m = data;
    BIO_free(m->bio);
    free(m);
}

typedef struct {
    SSL *ssl;
    bool server_side;
    bool handshake_done;
    char *hostname; // what server_hostname asked for (malloc'ed), for the mismatch message
} Session;

static void session_finalize(void *data) {
    Session *s = data;
    SSL_free(s->ssl);
    free(s->hostname);
    free(s);
}

static void *box_data(Vm *vm, Value v, void (*finalize)(void *), const char *what) {
    if (IS_BOX(v) && AS_BOX(v)->finalize == finalize) return AS_BOX(v)->data;
    vm_raise(vm, vm->TypeError, "expected %s, not %s", what, vm_type_name(vm, v));
    return NULL;
}

static SSL_CTX *ctx_of(Vm *vm, Value v) { return box_data(vm, v, ctx_finalize, "an _ssl.Context"); }
static MemBio *membio_of(Vm *vm, Value v) { return box_data(vm, v, bio_finalize, "a MemoryBIO"); }
static BIO *bio_of(Vm *vm, Value v) {
    MemBio *m = membio_of(vm, v);
    return m ? m->bio : NULL;
}
static Session *session_of(Vm *vm, Value v) { return box_data(vm, v, session_finalize, "an _ssl.Session"); }

// ---- errors ---------------------------------------------------------------------------------------

// The library names CPython prints in "[LIB: REASON]".
static const char *library_name(int lib) {
    switch (lib) {
    case ERR_LIB_SSL: return "SSL";
    case ERR_LIB_X509: return "X509";
    case ERR_LIB_PEM: return "PEM";
    case ERR_LIB_ASN1: return "ASN1";
    case ERR_LIB_EVP: return "EVP";
    case ERR_LIB_SYS: return "SYS";
    case ERR_LIB_BIO: return "BIO";
    case ERR_LIB_X509V3: return "X509V3";
    default: return NULL;
    }
}

// The reasons a student meets, by their OpenSSL macro names (CPython shows the same mnemonics;
// reasons not listed here show only "[LIB]").
#define REASON(name) {ERR_LIB_SSL, SSL_R_##name, #name}
static const struct {
    int lib, code;
    const char *name;
} ssl_reasons[] = {
    REASON(CERTIFICATE_VERIFY_FAILED),
    REASON(WRONG_VERSION_NUMBER),
    REASON(UNSUPPORTED_PROTOCOL),
    REASON(TLSV1_ALERT_PROTOCOL_VERSION),
    REASON(UNEXPECTED_EOF_WHILE_READING),
    REASON(TLSV1_ALERT_UNKNOWN_CA),
    REASON(SSLV3_ALERT_BAD_CERTIFICATE),
    REASON(SSLV3_ALERT_CERTIFICATE_UNKNOWN),
    REASON(SSLV3_ALERT_HANDSHAKE_FAILURE),
    REASON(TLSV13_ALERT_CERTIFICATE_REQUIRED),
    REASON(PEER_DID_NOT_RETURN_A_CERTIFICATE),
    REASON(NO_SHARED_CIPHER),
    REASON(NO_CIPHER_MATCH),
    REASON(HTTP_REQUEST),
    {ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH, "KEY_VALUES_MISMATCH"},
    {ERR_LIB_X509, X509_R_NO_CERTIFICATE_OR_CRL_FOUND, "NO_CERTIFICATE_OR_CRL_FOUND"},
    REASON(APPLICATION_DATA_AFTER_CLOSE_NOTIFY),
    REASON(PROTOCOL_IS_SHUTDOWN),
    REASON(SHUTDOWN_WHILE_IN_INIT),
    REASON(BAD_LENGTH),
    REASON(PACKET_LENGTH_TOO_LONG),
};

static const char *reason_name(int lib, int reason) {
    for (size_t i = 0; i < sizeof ssl_reasons / sizeof ssl_reasons[0]; i++)
        if (ssl_reasons[i].lib == lib && ssl_reasons[i].code == reason) return ssl_reasons[i].name;
    return NULL;
}

static Value str_or_none(Vm *vm, const char *s) { return s ? OBJ_VAL(str_new(vm, s, strlen(s))) : NONE_VAL(); }

// Calls ssl.aio's factory and raises what it returns.  Always false.
static bool raise_made(Vm *vm, const char *kind, long err_no, const char *message, const char *lib,
                       const char *reason, long verify_code, const char *verify_message) {
    Value mod = dict_get_str(vm->modules, str_from_c(vm, "_ssl"));
    Value make = IS_MODULE(mod) ? dict_get_str(AS_MODULE(mod)->globals, str_from_c(vm, "_make_error")) : EMPTY_VAL();
    if (IS_EMPTY(make)) return vm_raise(vm, vm->OSError, "%s", message); // _ssl used without ssl
    Value args[7];
    int n = 0;
    args[n++] = OBJ_VAL(str_from_c(vm, kind));
    vm_push_root(vm, args[0]);
    args[n++] = err_no >= 0 ? INT_VAL(err_no) : NONE_VAL(); // None: the exception has the message alone
    args[n] = str_or_none(vm, message), vm_push_root(vm, args[n++]);
    args[n] = str_or_none(vm, lib), vm_push_root(vm, args[n++]);
    args[n] = str_or_none(vm, reason), vm_push_root(vm, args[n++]);
    args[n++] = verify_code >= 0 ? INT_VAL(verify_code) : NONE_VAL();
    args[n] = str_or_none(vm, verify_message), vm_push_root(vm, args[n++]);
    Value exc;
    bool ok = vm_call(vm, make, args, n, NULL, &exc);
    vm_pop_roots(vm, 5);
    if (!ok) return false;
    return vm_raise_value(vm, exc);
}

#define RAISE_SSL(vm, kind, err_no, text, lib, reason, vcode, vmsg) \
    raise_from_parts(vm, kind, err_no, text, lib, reason, vcode, vmsg, __LINE__)

// Builds CPython's message from its parts: "[LIB: REASON] text: verify (mod_ssl.c:LINE)".
static bool raise_from_parts(Vm *vm, const char *kind, long err_no, const char *text, const char *lib,
                             const char *reason, long verify_code, const char *verify, int line) {
    char message[768];
    if (lib && reason && verify)
        snprintf(message, sizeof message, "[%s: %s] %s: %s (mod_ssl.c:%d)", lib, reason, text, verify, line);
    else if (lib && reason)
        snprintf(message, sizeof message, "[%s: %s] %s (mod_ssl.c:%d)", lib, reason, text, line);
    else if (lib)
        snprintf(message, sizeof message, "[%s] %s (mod_ssl.c:%d)", lib, text, line);
    else
        snprintf(message, sizeof message, "%s (mod_ssl.c:%d)", text, line);
    return raise_made(vm, kind, err_no, message, lib, reason, verify_code, verify);
}

// Raises from the last entry of OpenSSL's error queue (and empties it).  err_no is what
// SSLError.errno shows: SSL_get_error's code for connection calls, the reason otherwise.
static bool raise_error_code(Vm *vm, Session *s, unsigned long e, long err_no_or_neg, int line);

static bool raise_queue_error(Vm *vm, Session *s, long err_no_or_neg, int line) {
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    return raise_error_code(vm, s, e, err_no_or_neg, line);
}

// After a failed load of a file: an OSError when the file could not be read (FileNotFoundError
// for a missing one, as CPython), else the SSLError of the last queued error.
static bool raise_load_error(Vm *vm, int line) {
    unsigned long e, last = 0;
    int system_errno = 0;
    while ((e = ERR_get_error()) != 0) {
        if (ERR_SYSTEM_ERROR(e)) system_errno = ERR_GET_REASON(e);
        last = e;
    }
    if (system_errno) return raise_os_errno(vm, system_errno, EMPTY_VAL());
    return raise_error_code(vm, NULL, last, -1, line);
}

static bool raise_error_code(Vm *vm, Session *s, unsigned long e, long err_no_or_neg, int line) {
    if (!e) return raise_from_parts(vm, "SSLError", err_no_or_neg < 0 ? 0 : err_no_or_neg, "unknown error", NULL,
                                    NULL, -1, NULL, line);
    int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);
    const char *text = ERR_reason_error_string(e);
    const char *kind = "SSLError";
    long err_no = err_no_or_neg < 0 ? reason : err_no_or_neg;
    long verify_code = -1;
    char verify[512];
    const char *verify_text = NULL;
    if (lib == ERR_LIB_SSL && reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        kind = "SSLEOFError";
        err_no = ERRNO_EOF;
        text = "EOF occurred in violation of protocol";
    } else if (lib == ERR_LIB_SSL && reason == SSL_R_CERTIFICATE_VERIFY_FAILED && s) {
        kind = "SSLCertVerificationError";
        verify_code = SSL_get_verify_result(s->ssl);
        if (verify_code == X509_V_ERR_HOSTNAME_MISMATCH && s->hostname)
            snprintf(verify, sizeof verify, "Hostname mismatch, certificate is not valid for '%s'.", s->hostname);
        else if (verify_code == X509_V_ERR_IP_ADDRESS_MISMATCH && s->hostname)
            snprintf(verify, sizeof verify, "IP address mismatch, certificate is not valid for '%s'.", s->hostname);
        else
            snprintf(verify, sizeof verify, "%s", X509_verify_cert_error_string(verify_code));
        verify_text = verify;
    }
    return raise_from_parts(vm, kind, err_no, text ? text : "unknown error", library_name(lib),
                            reason_name(lib, reason), verify_code, verify_text, line);
}

// After a failed SSL_* call on a session: the exception SSL_get_error(ret) means.
static bool raise_session_error(Vm *vm, Session *s, int ret, int line) {
    int code = SSL_get_error(s->ssl, ret);
    switch (code) {
    case SSL_ERROR_WANT_READ:
        ERR_clear_error();
        return raise_from_parts(vm, "SSLWantReadError", code, "The operation did not complete (read)", NULL, NULL,
                                -1, NULL, line);
    case SSL_ERROR_WANT_WRITE:
        ERR_clear_error();
        return raise_from_parts(vm, "SSLWantWriteError", code, "The operation did not complete (write)", NULL, NULL,
                                -1, NULL, line);
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return raise_from_parts(vm, "SSLZeroReturnError", code, "TLS/SSL connection has been closed (EOF)", NULL,
                                NULL, -1, NULL, line);
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_last_error()) return raise_queue_error(vm, s, code, line);
        return raise_from_parts(vm, "SSLEOFError", ERRNO_EOF, "EOF occurred in violation of protocol", NULL, NULL,
                                -1, NULL, line);
    default:
        return raise_queue_error(vm, s, code, line);
    }
}

// ---- Context --------------------------------------------------------------------------------------

// new_context(server_side): TLS 1.2 at least, as CPython's default contexts.
static bool ctx_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "Context", nargs, kwnames, 1, 1)) return false;
    // server_side: True, False, or None for a context that serves either side (PROTOCOL_TLS)
    const SSL_METHOD *method = IS_NONE(args[0]) ? TLS_method()
                               : IS_BOOL(args[0]) && AS_BOOL(args[0]) ? TLS_server_method()
                                                                      : TLS_client_method();
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (!ctx) return raise_queue_error(vm, NULL, -1, __LINE__);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_DH_USE |
                                 SSL_OP_SINGLE_ECDH_USE);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    // TLS 1.2's suites: CPython's default choice (forward secrecy, AEAD first, no SHA-1), so
    // that both pick the same cipher.  TLS 1.3's suites are OpenSSL's own, as in CPython.
    SSL_CTX_set_cipher_list(ctx, "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM");
    ObjClass *cls = mod_find_class(vm, "_ssl", "Context");
    if (!cls) {
        SSL_CTX_free(ctx);
        return false;
    }
    *result = OBJ_VAL(box_new(vm, cls, ctx, ctx_finalize));
    return true;
}

// A str argument as a C string, or NULL for None.
static bool opt_str(Vm *vm, const char *fname, Value v, const char **out) {
    *out = NULL;
    if (IS_EMPTY(v) || IS_NONE(v)) return true;
    ObjStr *s;
    if (!arg_str(vm, fname, v, &s)) return false;
    *out = s->chars;
    return true;
}

// The same for a file OpenSSL will open, which the fuzz build's sandbox must allow as it
// allows open()'s (vm/vm.h).
static bool opt_path(Vm *vm, const char *fname, Value v, const char **out) {
    return opt_str(vm, fname, v, out) && (!*out || vm_sandbox_allows(vm, fname, *out));
}

// OpenSSL asks for the pass phrase of an encrypted key through this callback; `data` is the
// password given to load_cert_chain, or NULL, and then the load fails instead of OpenSSL's
// default of prompting on the terminal (a program must never hang on a hidden prompt).
static int give_password(char *buf, int size, int rwflag, void *data) {
    (void)rwflag;
    const ByteSpan *password = data;
    if (!password || password->length > (size_t)size) return -1;
    memcpy(buf, password->data, password->length);
    return (int)password->length;
}

// load_cert_chain(certfile, keyfile, password): the certificate (and its chain) and the
// private key (str or bytes password for an encrypted one).
static bool ctx_load_cert_chain(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "load_cert_chain", nargs, kwnames, 4, 4)) return false;
    SSL_CTX *ctx = ctx_of(vm, args[0]);
    const char *cert, *key;
    if (!ctx || !opt_path(vm, "load_cert_chain", args[1], &cert) || !opt_path(vm, "load_cert_chain", args[2], &key))
        return false;
    ByteSpan password = {NULL, 0};
    bool has_password = !IS_NONE(args[3]);
    if (has_password && IS_STR(args[3])) {
        password = (ByteSpan){(const unsigned char *)AS_STR(args[3])->chars, AS_STR(args[3])->length};
    } else if (has_password && bytes_like(vm, args[3], &password) != 1) {
        return vm_raise(vm, vm->TypeError, "password should be a string or callable");
    }
    if (!key) key = cert;
    SSL_CTX_set_default_passwd_cb(ctx, give_password);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, has_password ? &password : NULL);
    ERR_clear_error();
    bool loaded = SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 &&
                  SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1;
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL); // `password` lives only during this call
    if (!loaded || SSL_CTX_check_private_key(ctx) != 1) return raise_load_error(vm, __LINE__);
    *result = NONE_VAL();
    return true;
}

// load_verify_locations(cafile, capath): certificates to trust.
static bool ctx_load_verify_locations(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "load_verify_locations", nargs, kwnames, 3, 3)) return false;
    SSL_CTX *ctx = ctx_of(vm, args[0]);
    const char *file, *dir;
    if (!ctx || !opt_path(vm, "load_verify_locations", args[1], &file) ||
        !opt_path(vm, "load_verify_locations", args[2], &dir))
        return false;
    ERR_clear_error();
    if (SSL_CTX_load_verify_locations(ctx, file, dir) != 1) {
        return raise_load_error(vm, __LINE__);
    }
    *result = NONE_VAL();
    return true;
}

// set_default_verify_paths(): the system's trusted certificates.
static bool ctx_set_default_verify_paths(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "set_default_verify_paths", nargs, kwnames, 1, 1)) return false;
    SSL_CTX *ctx = ctx_of(vm, args[0]);
    if (!ctx) return false;
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) return raise_queue_error(vm, NULL, -1, __LINE__);
    *result = NONE_VAL();
    return true;
}

// set_ciphers(spec): the TLS 1.2 cipher list (TLS 1.3's suites are not affected, as in CPython).
static bool ctx_set_ciphers(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "set_ciphers", nargs, kwnames, 2, 2)) return false;
    SSL_CTX *ctx = ctx_of(vm, args[0]);
    ObjStr *spec;
    if (!ctx || !arg_str(vm, "set_ciphers", args[1], &spec)) return false;
    if (SSL_CTX_set_cipher_list(ctx, spec->chars) != 1) {
        ERR_clear_error();
        return raise_made(vm, "SSLError", -1, "No cipher can be selected.", NULL, NULL, -1, NULL);
    }
    *result = NONE_VAL();
    return true;
}

// ---- ALPN: the application protocol both sides agree on during the handshake ----

// A context's protocols in ALPN's wire form (each name after its length byte), kept in the
// SSL_CTX's ex_data slot so they go when the context goes.  A client offers them; a server
// picks the first of its own that the client offered.
typedef struct {
    size_t length;
    unsigned char wire[];
} AlpnList;

static void alpn_list_free(void *parent, void *list, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp) {
    free(list);
}

static int alpn_slot(void) {
    static int slot = -1; // (OpenSSL's index, the same for every context of the process)
    if (slot < 0) slot = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, alpn_list_free);
    return slot;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *offered,
                       unsigned int offered_length, void *unused) {
    AlpnList *ours = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), alpn_slot());
    unsigned char *chosen;
    if (!ours || SSL_select_next_proto(&chosen, outlen, ours->wire, (unsigned)ours->length, offered, offered_length) !=
                     OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// set_alpn(wire): the protocols in wire form (ssl.aio checks and encodes them).
static bool ctx_set_alpn(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "set_alpn", nargs, kwnames, 2, 2)) return false;
    SSL_CTX *ctx = ctx_of(vm, args[0]);
    ByteSpan wire;
    if (!ctx || !bytes_like_or_raise(vm, args[1], &wire)) return false;
    AlpnList *list = malloc(sizeof *list + wire.length);
    if (!list) return vm_raise_memory_error(vm);
    list->length = wire.length;
    memcpy(list->wire, wire.data, wire.length);
    free(SSL_CTX_get_ex_data(ctx, alpn_slot()));
    SSL_CTX_set_ex_data(ctx, alpn_slot(), list);
    SSL_CTX_set_alpn_protos(ctx, list->wire, (unsigned)list->length);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    *result = NONE_VAL();
    return true;
}

// set_verify(mode): 0 CERT_NONE, 1 CERT_OPTIONAL, 2 CERT_REQUIRED.
static bool ctx_set_verify(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "set_verify", nargs, kwnames, 2, 2)) return false;
    SSL_CTX *ctx = ctx_of(vm, args[0]);
    int64_t mode;
    if (!ctx || !arg_int(vm, args[1], &mode)) return false;
    int flags = mode == 0 ? SSL_VERIFY_NONE
                          : SSL_VERIFY_PEER | (mode == 2 ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
    SSL_CTX_set_verify(ctx, flags, NULL);
    *result = NONE_VAL();
    return true;
}

// proto_version(which[, version]): the lowest (which 0) or highest (1) protocol version the
// context accepts, as TLSVersion numbers (0x0303 is TLS 1.2); OpenSSL's "no bound" (0) is
// MINIMUM_SUPPORTED (-2) or MAXIMUM_SUPPORTED (-1).  With a version, sets it first.
static bool ctx_proto_version(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "proto_version", nargs, kwnames, 2, 3)) return false;
    SSL_CTX *ctx = ctx_of(vm, args[0]);
    int64_t which, version;
    if (!ctx || !arg_int(vm, args[1], &which)) return false;
    if (nargs == 3) {
        if (!arg_int(vm, args[2], &version)) return false;
        bool bound = version == -2 || version == -1;
        if (!bound && (version < SSL3_VERSION || version > TLS1_3_VERSION))
            return vm_raise(vm, vm->ValueError, "Unsupported TLS/SSL version 0x%llx", (unsigned long long)version);
        int v = bound ? 0 : (int)version;
        if ((which ? SSL_CTX_set_max_proto_version(ctx, v) : SSL_CTX_set_min_proto_version(ctx, v)) != 1)
            return vm_raise(vm, vm->ValueError, "Unsupported protocol version 0x%x", v);
    }
    long v = which ? SSL_CTX_get_max_proto_version(ctx) : SSL_CTX_get_min_proto_version(ctx);
    *result = INT_VAL(v ? v : which ? -1 : -2);
    return true;
}

// ---- MemoryBIO ------------------------------------------------------------------------------------

static bool bio_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "MemoryBIO", nargs, kwnames, 1, 1)) return false; // args[0]: the class
    if (!IS_CLASS(args[0])) return vm_raise(vm, vm->TypeError, "MemoryBIO.__new__ needs a class");
    MemBio *m = malloc(sizeof *m);
    if (!m || !(m->bio = BIO_new(BIO_s_mem()))) {
        free(m);
        return vm_raise(vm, vm->MemoryError, "");
    }
    m->eof_written = false;
    // An empty BIO means "nothing yet" (retry), not end of file, until write_eof().
    BIO_set_mem_eof_return(m->bio, -1);
    *result = OBJ_VAL(box_new(vm, AS_CLASS(args[0]), m, bio_finalize));
    return true;
}

// read(size=-1): up to size bytes (all of them when size < 0) from the front.
static bool bio_read(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "read", nargs, kwnames, 1, 2)) return false;
    BIO *bio = bio_of(vm, args[0]);
    int64_t want = -1;
    if (!bio || (nargs > 1 && !arg_int(vm, args[1], &want))) return false;
    size_t avail = BIO_ctrl_pending(bio);
    size_t n = want < 0 || (size_t)want > avail ? avail : (size_t)want;
    ObjBytes *b = bytes_try_alloc(vm, n);
    if (!b) return false;
    size_t got = 0;
    if (n) BIO_read_ex(bio, b->data, n, &got);
    b->length = got;
    b->data[got] = 0;
    b->hash = hash_bytes(b->data, got);
    *result = OBJ_VAL(b);
    return true;
}

// write(data): appends a bytes-like object; returns its length.
static bool bio_write(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "write", nargs, kwnames, 2, 2)) return false;
    MemBio *m = membio_of(vm, args[0]);
    ByteSpan span;
    if (!m || !bytes_like_or_raise(vm, args[1], &span)) return false;
    BIO *bio = m->bio;
    if (m->eof_written)
        return raise_made(vm, "SSLError", -1, "cannot write() after write_eof()", NULL, NULL, -1, NULL);
    size_t done = 0;
    if (span.length && BIO_write_ex(bio, span.data, span.length, &done) != 1)
        return vm_raise(vm, vm->MemoryError, "");
    *result = INT_VAL((int64_t)span.length);
    return true;
}

// write_eof(): no more data will come; reading past what is there then means end of file.
static bool bio_write_eof(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "write_eof", nargs, kwnames, 1, 1)) return false;
    MemBio *m = membio_of(vm, args[0]);
    if (!m) return false;
    m->eof_written = true;
    BIO_set_mem_eof_return(m->bio, 0);
    *result = NONE_VAL();
    return true;
}

static bool bio_pending(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    BIO *bio = bio_of(vm, args[0]);
    if (!bio) return false;
    *result = INT_VAL((int64_t)BIO_ctrl_pending(bio));
    return true;
}

// eof: write_eof() was called and everything has been read.
static bool bio_eof(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    MemBio *m = membio_of(vm, args[0]);
    if (!m) return false;
    *result = BOOL_VAL(m->eof_written && BIO_ctrl_pending(m->bio) == 0);
    return true;
}

// ---- Session --------------------------------------------------------------------------------------

static bool is_ip_address(const char *host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

// Session(ctx, incoming, outgoing, server_side, server_hostname, check_hostname).  A client
// with a host name sends it (SNI, unless it is an IP address); with check_hostname the peer's
// certificate must also be valid for it, which OpenSSL checks during verification.
static bool session_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "Session", nargs, kwnames, 6, 6)) return false;
    SSL_CTX *ctx = ctx_of(vm, args[0]);
    BIO *in = ctx ? bio_of(vm, args[1]) : NULL;
    BIO *out = in ? bio_of(vm, args[2]) : NULL;
    const char *host;
    if (!out || !opt_str(vm, "Session", args[4], &host)) return false;
    bool server = IS_BOOL(args[3]) && AS_BOOL(args[3]);
    bool check = IS_BOOL(args[5]) && AS_BOOL(args[5]);
    bool server_ctx = SSL_CTX_get_ssl_method(ctx) == TLS_server_method();
    bool client_ctx = SSL_CTX_get_ssl_method(ctx) == TLS_client_method();
    if (server && client_ctx)
        return RAISE_SSL(vm, "SSLError", 0, "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context", NULL,
                         NULL, -1, NULL);
    if (!server && server_ctx)
        return RAISE_SSL(vm, "SSLError", 0, "Cannot create a client socket with a PROTOCOL_TLS_SERVER context", NULL,
                         NULL, -1, NULL);
    ObjClass *cls = mod_find_class(vm, "_ssl", "Session");
    if (!cls) return false;
    Session *s = calloc(1, sizeof *s);
    if (!s || !(s->ssl = SSL_new(ctx))) {
        free(s);
        return raise_queue_error(vm, NULL, -1, __LINE__);
    }
    s->server_side = server;
    BIO_up_ref(in);
    BIO_up_ref(out);
    SSL_set_bio(s->ssl, in, out); // the SSL owns the two references just taken
    if (server) {
        SSL_set_accept_state(s->ssl);
    } else {
        SSL_set_connect_state(s->ssl);
        if (host) {
            s->hostname = strdup(host);
            bool ip = is_ip_address(host);
            if (!ip) SSL_set_tlsext_host_name(s->ssl, host);
            if (check) {
                X509_VERIFY_PARAM *param = SSL_get0_param(s->ssl);
                X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                if (ip) X509_VERIFY_PARAM_set1_ip_asc(param, host);
                else X509_VERIFY_PARAM_set1_host(param, host, 0);
            }
        }
    }
    *result = OBJ_VAL(box_new(vm, cls, s, session_finalize));
    return true;
}

static Session *self_session(Vm *vm, const char *name, Value *args, int nargs, ObjTuple *kwnames, int min, int max) {
    if (!check_args(vm, name, nargs, kwnames, min, max)) return NULL;
    return session_of(vm, args[0]);
}

// do_handshake(): None once the handshake is complete; SSLWantReadError while it needs bytes
// from the peer (after putting what it has to say in the outgoing BIO).
static bool session_do_handshake(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Session *s = self_session(vm, "do_handshake", args, nargs, kwnames, 1, 1);
    if (!s) return false;
    ERR_clear_error();
    int ret = SSL_do_handshake(s->ssl);
    if (ret != 1) return raise_session_error(vm, s, ret, __LINE__);
    s->handshake_done = true;
    *result = NONE_VAL();
    return true;
}

// read(n): up to n bytes of the peer's application data.  OpenSSL hands out at most one record
// (16 KiB of data) per call, so the bytes are read into a buffer of that order and copied into
// an object of the exact size: asking for 256 KiB does not make every chunk that big.
static bool session_read(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static unsigned char chunk[64 * 1024];
    Session *s = self_session(vm, "read", args, nargs, kwnames, 2, 2);
    int64_t want;
    if (!s || !arg_int(vm, args[1], &want)) return false;
    if (want < 0) return vm_raise(vm, vm->ValueError, "size should not be negative");
    size_t got = 0;
    ERR_clear_error();
    if (want > 0) {
        size_t ask = (size_t)want < sizeof chunk ? (size_t)want : sizeof chunk;
        int ret = SSL_read_ex(s->ssl, chunk, ask, &got);
        // The peer's close_notify, with ours not sent yet: end of data, b'' (as CPython).
        bool clean_end = ret != 1 && SSL_get_error(s->ssl, ret) == SSL_ERROR_ZERO_RETURN &&
                         SSL_get_shutdown(s->ssl) == SSL_RECEIVED_SHUTDOWN;
        if (clean_end) ERR_clear_error();
        else if (ret != 1) return raise_session_error(vm, s, ret, __LINE__);
    }
    *result = OBJ_VAL(bytes_new(vm, chunk, got));
    return true;
}

// write(data): encrypts all of data into the outgoing BIO; returns its length.
static bool session_write(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Session *s = self_session(vm, "write", args, nargs, kwnames, 2, 2);
    ByteSpan span;
    if (!s || !bytes_like_or_raise(vm, args[1], &span)) return false;
    size_t done = 0;
    ERR_clear_error();
    if (span.length) {
        int ret = SSL_write_ex(s->ssl, span.data, span.length, &done);
        if (ret != 1) return raise_session_error(vm, s, ret, __LINE__);
    }
    *result = INT_VAL((int64_t)done);
    return true;
}

// shutdown(): sends close_notify; None once the peer's has arrived too, SSLWantReadError before.
static bool session_shutdown(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Session *s = self_session(vm, "shutdown", args, nargs, kwnames, 1, 1);
    if (!s) return false;
    ERR_clear_error();
    int ret = SSL_shutdown(s->ssl);
    if (ret == 0) ret = SSL_shutdown(s->ssl); // ours is sent; see whether the peer's is there
    if (ret < 0) return raise_session_error(vm, s, ret, __LINE__);
    if (ret == 0) {
        return raise_from_parts(vm, "SSLWantReadError", SSL_ERROR_WANT_READ, "The operation did not complete (read)",
                                NULL, NULL, -1, NULL, __LINE__);
    }
    *result = NONE_VAL();
    return true;
}

// selected_alpn_protocol(): the protocol ALPN agreed on, or None.
static bool session_selected_alpn(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Session *s = self_session(vm, "selected_alpn_protocol", args, nargs, kwnames, 1, 1);
    if (!s) return false;
    const unsigned char *name;
    unsigned length;
    SSL_get0_alpn_selected(s->ssl, &name, &length);
    *result = name && length ? OBJ_VAL(str_new(vm, (const char *)name, length)) : NONE_VAL();
    return true;
}

// pending(): decrypted bytes ready to be read without more input.
static bool session_pending(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Session *s = self_session(vm, "pending", args, nargs, kwnames, 1, 1);
    if (!s) return false;
    *result = INT_VAL(SSL_pending(s->ssl));
    return true;
}

// cipher(): (name, protocol, secret bits) once the handshake is done, else None.
static bool session_cipher(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Session *s = self_session(vm, "cipher", args, nargs, kwnames, 1, 1);
    if (!s) return false;
    const SSL_CIPHER *c = SSL_get_current_cipher(s->ssl);
    if (!c) {
        *result = NONE_VAL();
        return true;
    }
    ObjTuple *t = tuple_new(vm, 3);
    vm_push_root(vm, OBJ_VAL(t));
    t->items[0] = str_or_none(vm, SSL_CIPHER_get_name(c));
    t->items[1] = str_or_none(vm, SSL_CIPHER_get_version(c));
    t->items[2] = INT_VAL(SSL_CIPHER_get_bits(c, NULL));
    vm_pop_root(vm);
    *result = OBJ_VAL(t);
    return true;
}

// version(): 'TLSv1.3' and the like once the handshake is done, else None.
static bool session_version(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Session *s = self_session(vm, "version", args, nargs, kwnames, 1, 1);
    if (!s) return false;
    *result = s->handshake_done ? str_or_none(vm, SSL_get_version(s->ssl)) : NONE_VAL();
    return true;
}

// ---- the peer's certificate as a dict (CPython's layout) -----------------------------------------

// ((('commonName', 'localhost'),), ...): one tuple per relative distinguished name, each a tuple
// of (long name, value) pairs.
static Value name_value(Vm *vm, X509_NAME *name) {
    int n = X509_NAME_entry_count(name);
    ObjList *rdns = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(rdns));
    ObjList *current = NULL;
    int current_set = -1;
    for (int i = 0; i < n; i++) {
        X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        int set = X509_NAME_ENTRY_set(e);
        if (!current || set != current_set) {
            current = list_new(vm, 0);
            list_append(vm, rdns, OBJ_VAL(current));
            current_set = set;
        }
        const char *ln = OBJ_nid2ln(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)));
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
        Value key = str_or_none(vm, ln ? ln : "unknown");
        vm_push_root(vm, key);
        Value val = OBJ_VAL(str_new(vm, len > 0 ? (char *)utf8 : "", len > 0 ? (size_t)len : 0));
        OPENSSL_free(utf8);
        vm_push_root(vm, val);
        list_append(vm, current, OBJ_VAL(tuple_pair(vm, key, val)));
        vm_pop_roots(vm, 2);
    }
    // lists of lists -> tuples of tuples
    ObjTuple *out = tuple_new(vm, rdns->count);
    vm_push_root(vm, OBJ_VAL(out));
    for (size_t i = 0; i < rdns->count; i++) {
        ObjList *l = AS_LIST(rdns->items[i]);
        ObjTuple *t = tuple_new(vm, l->count);
        for (size_t j = 0; j < l->count; j++) t->items[j] = l->items[j];
        out->items[i] = OBJ_VAL(t);
    }
    vm_pop_roots(vm, 2);
    return OBJ_VAL(out);
}

static Value asn1_time_value(Vm *vm, const ASN1_TIME *t) {
    BIO *b = BIO_new(BIO_s_mem());
    ASN1_TIME_print(b, t);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    Value v = OBJ_VAL(str_new(vm, data, (size_t)n));
    BIO_free(b);
    return v;
}

// (('DNS', 'localhost'), ('IP Address', '127.0.0.1')), or EMPTY when the certificate has none.
static Value alt_names_value(Vm *vm, X509 *cert) {
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (!names) return EMPTY_VAL();
    ObjList *l = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(l));
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        const char *kind = NULL;
        char text[64];
        const char *value = NULL;
        if (g->type == GEN_DNS || g->type == GEN_EMAIL || g->type == GEN_URI) {
            kind = g->type == GEN_DNS ? "DNS" : g->type == GEN_EMAIL ? "email" : "URI";
            value = (const char *)ASN1_STRING_get0_data(g->d.ia5);
        } else if (g->type == GEN_IPADD) {
            kind = "IP Address";
            int len = ASN1_STRING_length(g->d.ip);
            const unsigned char *p = ASN1_STRING_get0_data(g->d.ip);
            if (len == 4) {
                inet_ntop(AF_INET, p, text, sizeof text);
            } else if (len == 16) { // CPython writes every group in full, upper case
                int k = 0;
                for (int j = 0; j < 16; j += 2)
                    k += snprintf(text + k, sizeof text - (size_t)k, "%s%X", j ? ":" : "", (p[j] << 8) | p[j + 1]);
            } else {
                snprintf(text, sizeof text, "<invalid>");
            }
            value = text;
        }
        if (!kind) continue;
        Value k = str_or_none(vm, kind);
        vm_push_root(vm, k);
        Value v = str_or_none(vm, value);
        vm_push_root(vm, v);
        list_append(vm, l, OBJ_VAL(tuple_pair(vm, k, v)));
        vm_pop_roots(vm, 2);
    }
    GENERAL_NAMES_free(names);
    ObjTuple *t = tuple_new(vm, l->count);
    for (size_t i = 0; i < l->count; i++) t->items[i] = l->items[i];
    vm_pop_root(vm);
    return OBJ_VAL(t);
}

// d[key] = value, with value kept alive while the key is made.
static void dict_put(Vm *vm, ObjDict *d, const char *key, Value value) {
    vm_push_root(vm, value);
    dict_set_cstr(vm, d, key, value);
    vm_pop_root(vm);
}

static Value cert_dict(Vm *vm, X509 *cert) {
    ObjDict *d = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(d));
    dict_put(vm, d, "subject", name_value(vm, X509_get_subject_name(cert)));
    dict_put(vm, d, "issuer", name_value(vm, X509_get_issuer_name(cert)));
    dict_put(vm, d, "version", INT_VAL(X509_get_version(cert) + 1));
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    dict_put(vm, d, "serialNumber", str_or_none(vm, hex ? hex : ""));
    OPENSSL_free(hex);
    BN_free(bn);
    dict_put(vm, d, "notBefore", asn1_time_value(vm, X509_get0_notBefore(cert)));
    dict_put(vm, d, "notAfter", asn1_time_value(vm, X509_get0_notAfter(cert)));
    Value alt = alt_names_value(vm, cert);
    if (!IS_EMPTY(alt)) dict_put(vm, d, "subjectAltName", alt);
    vm_pop_root(vm);
    return OBJ_VAL(d);
}

// getpeercert(binary_form): None without a certificate; its DER bytes; {} when the context does
// not verify certificates (CPython does not vouch for an unverified one); else the dict.
static bool session_getpeercert(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Session *s = self_session(vm, "getpeercert", args, nargs, kwnames, 2, 2);
    if (!s) return false;
    if (!s->handshake_done) return vm_raise(vm, vm->ValueError, "handshake not done yet");
    X509 *cert = SSL_get1_peer_certificate(s->ssl);
    if (!cert) {
        *result = NONE_VAL();
        return true;
    }
    bool binary = IS_BOOL(args[1]) && AS_BOOL(args[1]);
    if (binary) {
        unsigned char *der = NULL;
        int len = i2d_X509(cert, &der);
        *result = OBJ_VAL(bytes_new(vm, der, len > 0 ? (size_t)len : 0));
        OPENSSL_free(der);
    } else if (!(SSL_get_verify_mode(s->ssl) & SSL_VERIFY_PEER)) {
        *result = OBJ_VAL(dict_new(vm));
    } else {
        *result = cert_dict(vm, cert);
    }
    X509_free(cert);
    return true;
}

// ---- the module -----------------------------------------------------------------------------------

static const MethodDef context_methods[] = {
    {"load_cert_chain", ctx_load_cert_chain},
    {"load_verify_locations", ctx_load_verify_locations},
    {"set_default_verify_paths", ctx_set_default_verify_paths},
    {"set_ciphers", ctx_set_ciphers},
    {"set_verify", ctx_set_verify},
    {"proto_version", ctx_proto_version},
    {"set_alpn", ctx_set_alpn},
    {NULL, NULL},
};

static const MethodDef bio_methods[] = {
    {"__new__", bio_new},
    {"read", bio_read},
    {"write", bio_write},
    {"write_eof", bio_write_eof},
    {NULL, NULL},
};

static const MethodDef bio_getters[] = {
    {"pending", bio_pending},
    {"eof", bio_eof},
    {NULL, NULL},
};

static const MethodDef session_methods[] = {
    {"do_handshake", session_do_handshake},
    {"read", session_read},
    {"write", session_write},
    {"shutdown", session_shutdown},
    {"pending", session_pending},
    {"cipher", session_cipher},
    {"version", session_version},
    {"getpeercert", session_getpeercert},
    {"selected_alpn_protocol", session_selected_alpn},
    {NULL, NULL},
};

static const IntEnumMember verify_modes[] = {
    {"CERT_NONE", 0}, {"CERT_OPTIONAL", 1}, {"CERT_REQUIRED", 2}, {NULL, 0},
};

// PROTOCOL_TLS is CPython's deprecated "either side"; aio's contexts take the two others.
static const IntEnumMember ssl_methods[] = {
    {"PROTOCOL_TLS", 2}, {"PROTOCOL_TLS_CLIENT", 16}, {"PROTOCOL_TLS_SERVER", 17}, {NULL, 0},
};

// SSLError.errno's values (SSL_get_error's codes; SSL_ERROR_EOF is CPython's own).
static const IntEnumMember error_numbers[] = {
    {"SSL_ERROR_SSL", SSL_ERROR_SSL}, {"SSL_ERROR_WANT_READ", SSL_ERROR_WANT_READ},
    {"SSL_ERROR_WANT_WRITE", SSL_ERROR_WANT_WRITE}, {"SSL_ERROR_WANT_X509_LOOKUP", SSL_ERROR_WANT_X509_LOOKUP},
    {"SSL_ERROR_SYSCALL", SSL_ERROR_SYSCALL}, {"SSL_ERROR_ZERO_RETURN", SSL_ERROR_ZERO_RETURN},
    {"SSL_ERROR_WANT_CONNECT", SSL_ERROR_WANT_CONNECT}, {"SSL_ERROR_EOF", ERRNO_EOF},
    {"SSL_ERROR_INVALID_ERROR_CODE", 10}, {NULL, 0},
};

static const IntEnumMember tls_versions[] = {
    {"MINIMUM_SUPPORTED", -2}, {"SSLv3", SSL3_VERSION}, {"TLSv1", TLS1_VERSION}, {"TLSv1_1", TLS1_1_VERSION},
    {"TLSv1_2", TLS1_2_VERSION}, {"TLSv1_3", TLS1_3_VERSION}, {"MAXIMUM_SUPPORTED", -1}, {NULL, 0},
};

ObjModule *mod_ssl_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "_ssl");
    vm_push_root(vm, OBJ_VAL(m));
    ObjClass *ctx = mod_class(vm, m, "Context", vm->object_class, OBJ_BOX);
    define_methods(vm, ctx, context_methods);
    define_native(vm, m->globals, "new_context", ctx_new);
    ObjClass *bio = mod_class(vm, m, "MemoryBIO", vm->object_class, OBJ_BOX);
    define_methods(vm, bio, bio_methods);
    define_getters(vm, bio, bio_getters);
    ObjClass *session = mod_class(vm, m, "Session", vm->object_class, OBJ_BOX);
    define_methods(vm, session, session_methods);
    define_native(vm, m->globals, "new_session", session_new);
    intenum_class(vm, m, "VerifyMode", verify_modes);
    intenum_class(vm, m, "_SSLMethod", ssl_methods);
    intenum_class(vm, m, "TLSVersion", tls_versions);
    intenum_class(vm, m, "SSLErrorNumber", error_numbers);
    mod_set(vm, m, "OPENSSL_VERSION", OBJ_VAL(str_from_c(vm, OpenSSL_version(OPENSSL_VERSION))));
    mod_set(vm, m, "OPENSSL_VERSION_NUMBER", INT_VAL((int64_t)OpenSSL_version_num()));
    vm_pop_root(vm);
    return m;
}
