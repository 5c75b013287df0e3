/* Files: open() and the objects behind sys.stdout, sys.stderr and sys.stdin.
 *
 * A file wraps a C stdio stream.  A text file (class TextIOWrapper) reads and writes str as UTF-8
 * with '\n' line endings; a binary file (modes with 'b': BufferedReader for 'rb', BufferedWriter
 * for 'wb', 'ab', 'xb', BufferedRandom for any '+') reads bytes and writes any bytes-like object.
 * Both kinds share one object layout (ObjFile) and the methods that do not care (close, seek,
 * tell, flush, with, the attributes); read, write and the line methods exist once per kind.
 * io.UnsupportedOperation (reading a file opened for writing, ...) derives from OSError only:
 * aio has single inheritance, CPython's derives from ValueError too.
 *
 * Fuzz builds (-DAIO_FUZZ) put a socket's file on a stream of their own (fopencookie) that never
 * waits: nothing else runs that could feed or drain the socket, so a read or write that would
 * block fails instead, and the method that asked raises RuntimeError (fuzz finding 27).
 */
#ifdef AIO_FUZZ
#define _GNU_SOURCE // fopencookie
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "file.h"
#include "runtime.h"

static ObjFile *new_file(Vm *vm, ObjClass *cls, FILE *fp, const char *name, const char *mode,
                         bool std) {
    ObjStr *n = str_from_c(vm, name);
    vm_push_root(vm, OBJ_VAL(n));
    ObjStr *m = str_from_c(vm, mode);
    vm_push_root(vm, OBJ_VAL(m));
    ObjFile *f = (ObjFile *)gc_alloc_object(vm, sizeof(ObjFile), OBJ_FILE, cls);
    vm_pop_roots(vm, 2);
    f->fp = fp;
    f->name = n;
    f->mode = m;
    f->is_std = std;
    f->buffer = EMPTY_VAL();
    f->name_fd = -1;
    f->socket_stream = NULL;
    f->binary = strchr(mode, 'b') != NULL;
    f->readable = strchr(mode, 'r') || strchr(mode, '+');
    f->writable = strchr(mode, 'w') || strchr(mode, 'a') || strchr(mode, 'x') || strchr(mode, '+');
    return f;
}

static bool raise_os_error(Vm *vm, int err, const char *filename) {
    return raise_os_errno(vm, err, filename ? OBJ_VAL(str_from_c(vm, filename)) : EMPTY_VAL());
}

// ---- open ---------------------------------------------------------------------------------------

// The parts of a mode string, checked as CPython's open() checks them.
typedef struct {
    char kind;   // 'r', 'w', 'a' or 'x'
    bool plus;
    bool binary;
} OpenMode;

static bool parse_mode(Vm *vm, const char *mode, OpenMode *out) {
    bool seen[128] = {false};
    int kinds = 0;
    bool text = false;
    *out = (OpenMode){0};
    for (const unsigned char *p = (const unsigned char *)mode; *p; p++) {
        if (*p >= 128 || !strchr("rwaxbt+", *p) || seen[*p])
            return vm_raise(vm, vm->ValueError, "invalid mode: '%s'", mode);
        seen[*p] = true;
        if (strchr("rwax", *p)) {
            kinds++;
            out->kind = (char)*p;
        }
    }
    out->plus = seen['+'];
    out->binary = seen['b'];
    text = seen['t'];
    if (text && out->binary) return vm_raise(vm, vm->ValueError, "can't have text and binary mode at once");
    if (kinds > 1) return vm_raise(vm, vm->ValueError, "must have exactly one of create/read/write/append mode");
    if (kinds == 0)
        return vm_raise(vm, vm->ValueError,
                        "Must have exactly one of create/read/write/append mode and at most one plus");
    return true;
}

static bool builtin_open(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"file", "mode", "buffering", "encoding", "errors", "newline", NULL};
    Value a[6];
    if (!parse_args(vm, "open", args, nargs, kwnames, names, 1, a)) return false;
    if (!IS_STR(a[0]))
        return vm_raise(vm, vm->TypeError, "expected str, bytes or os.PathLike object, not %s", vm_type_name(vm, a[0]));
    if (!IS_EMPTY(a[1]) && !IS_STR(a[1]))
        return vm_raise(vm, vm->TypeError, "open() argument 'mode' must be str, not %s", arg_type_name(vm, a[1]));
    if (!IS_EMPTY(a[2]) && !IS_INTLIKE(a[2]))
        return vm_raise(vm, vm->TypeError, "'%s' object cannot be interpreted as an integer",
                        vm_type_name(vm, a[2]));
    const char *mode = IS_STR(a[1]) ? AS_STR(a[1])->chars : "r";
    OpenMode m;
    if (!parse_mode(vm, mode, &m)) return false;
    if (m.binary) {
        static const char *const text_only[] = {"an encoding", "an errors", "a newline"};
        for (int i = 0; i < 3; i++)
            if (!IS_EMPTY(a[3 + i]) && !IS_NONE(a[3 + i]))
                return vm_raise(vm, vm->ValueError, "binary mode doesn't take %s argument", text_only[i]);
    }
    // fopen's mode: the kind ('x' is glibc's exclusive-create flag after 'w'), then '+', then
    // glibc's 'e' (O_CLOEXEC): as in CPython, a file the program opens is not inherited by the
    // children it starts.
    char cmode[8];
    size_t n = 0;
    cmode[n++] = m.kind == 'x' ? 'w' : m.kind;
    if (m.plus) cmode[n++] = '+';
    if (m.kind == 'x') cmode[n++] = 'x';
    cmode[n++] = 'e';
    cmode[n] = 0;
    // The mode attribute: as given for text; FileIO's normal form for binary ('w+b' is 'rb+').
    char shown[8];
    ObjClass *cls = vm->file_class;
    if (m.binary) {
        const char *base = m.kind == 'x' ? "xb" : m.kind == 'a' ? "ab" : m.kind == 'r' || m.plus ? "rb" : "wb";
        snprintf(shown, sizeof shown, "%s%s", base, m.plus ? "+" : "");
        cls = m.plus ? vm->buffered_random_class : m.kind == 'r' ? vm->buffered_reader_class
                                                                 : vm->buffered_writer_class;
    }
    if (!vm_sandbox_allows(vm, "open()", AS_STR(a[0])->chars)) return false;
    FILE *fp = fopen(AS_STR(a[0])->chars, cmode);
    if (!fp) return raise_os_error(vm, errno, AS_STR(a[0])->chars);
    ObjFile *f = new_file(vm, cls, fp, AS_STR(a[0])->chars, m.binary ? shown : mode, false);
    f->binary = m.binary;
    f->readable = m.kind == 'r' || m.plus;
    f->writable = m.kind != 'r' || m.plus;
    *result = OBJ_VAL(f);
    return true;
}

// ---- fuzz builds: streams that refuse to wait ---------------------------------------------------

#ifdef AIO_FUZZ
#include <poll.h>

static bool stream_would_wait; // a refused wait since the last stream_ok()

typedef struct {
    Vm *vm;
    int fd;
} NowaitStream;

static ssize_t nowait_read(void *cookie, char *buf, size_t size) {
    Vm *vm = ((NowaitStream *)cookie)->vm;
    int fd = ((NowaitStream *)cookie)->fd;
    if (vm_fuzz_would_wait(vm, fd, POLLIN)) {
        stream_would_wait = true;
        errno = EAGAIN;
        return -1;
    }
    ssize_t n;
    while ((n = read(fd, buf, size)) < 0 && errno == EINTR) {}
    return n; // poll said ready: this returns what is there without waiting
}

// glibc takes a short count from a cookie's write for an error: write all, or stop at the wait.
static ssize_t nowait_write(void *cookie, const char *buf, size_t size) {
    Vm *vm = ((NowaitStream *)cookie)->vm;
    int fd = ((NowaitStream *)cookie)->fd;
    int flags = fcntl(fd, F_GETFL);
    // A non-blocking socket's EAGAIN is its own; another thread may drain the socket
    if (flags < 0 || (flags & O_NONBLOCK) || vm_other_threads_alive()) return write(fd, buf, size);
    size_t done = 0;
    int err = 0;
    while (done < size && !err) {
        if (vm_fuzz_would_wait(vm, fd, POLLOUT)) {
            err = EAGAIN;
            break;
        }
        fcntl(fd, F_SETFL, flags | O_NONBLOCK); // a ready socket still blocks a write bigger than
        ssize_t n;                              // its room: this one writes what fits
        while ((n = write(fd, buf + done, size - done)) < 0 && errno == EINTR) {}
        if (n < 0) err = errno;
        else done += (size_t)n;
        fcntl(fd, F_SETFL, flags);
    }
    if (err == EAGAIN || err == EWOULDBLOCK) stream_would_wait = true;
    errno = err;
    return done || !err ? (ssize_t)done : -1;
}

static int nowait_close(void *cookie) {
    int r = close(((NowaitStream *)cookie)->fd);
    free(cookie);
    return r;
}

static FILE *open_stream(Vm *vm, int fd, const char *cmode) {
    NowaitStream *cookie = malloc(sizeof *cookie);
    if (!cookie) return NULL;
    *cookie = (NowaitStream){vm, fd};
    FILE *fp = fopencookie(cookie, cmode, (cookie_io_functions_t){nowait_read, nowait_write, NULL, nowait_close});
    if (!fp) free(cookie);
    return fp;
}

// False with RuntimeError pending when f's stream refused to wait since the last call.
static bool stream_ok(Vm *vm, ObjFile *f) {
    if (!stream_would_wait) return true;
    stream_would_wait = false;
    if (f->fp) clearerr(f->fp);
    return vm_fuzz_refuse_wait(vm, "reading or writing a socket's file");
}
#else
static inline bool stream_ok(Vm *vm, ObjFile *f) { (void)vm, (void)f; return true; }
#endif

// A file object over the C stream fp on descriptor fd, named (and repr'd) by the number, with
// the class and mode CPython gives such a file ("r", "wb", "rwb"...).
static ObjFile *file_named_by_descriptor(Vm *vm, FILE *fp, int fd, bool reading, bool writing, bool binary) {
    char name[16];
    snprintf(name, sizeof name, "%d", fd);
    char shown[4];
    snprintf(shown, sizeof shown, "%s%s", reading && writing ? "rw" : writing ? "w" : "r", binary ? "b" : "");
    ObjClass *cls = !binary ? vm->file_class
                    : reading && writing ? vm->buffered_random_class
                    : writing ? vm->buffered_writer_class
                              : vm->buffered_reader_class;
    ObjFile *f = new_file(vm, cls, fp, name, shown, false);
    f->binary = binary;
    f->readable = reading;
    f->writable = writing;
    f->name_fd = fd;
    return f;
}

// socket.makefile: a file on a copy of the socket's descriptor, so that closing either leaves the
// other working (CPython counts the socket's open files instead; the peer sees the same).  Its
// name and fileno() are the socket's descriptor, as CPython shows them.  Its C stream reads and
// writes through runtime/socket_stream.c, which keeps the socket's timeout.
ObjFile *file_over_descriptor(Vm *vm, int fd, bool reading, bool writing, bool binary, double timeout) {
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        raise_os_error(vm, errno, NULL);
        return NULL;
    }
    const char *cmode = reading && writing ? "r+" : writing ? "w" : "r";
#ifdef AIO_FUZZ
    SocketStream *stream = NULL; // (a fuzz build's stream refuses to wait instead: above)
    FILE *fp = open_stream(vm, copy, cmode);
#else
    SocketStream *stream;
    FILE *fp = socket_stream_open(copy, cmode, timeout, &stream);
#endif
    if (!fp) {
        int err = errno;
        close(copy);
        raise_os_error(vm, err, NULL);
        return NULL;
    }
    ObjFile *f = file_named_by_descriptor(vm, fp, fd, reading, writing, binary);
    f->socket_stream = stream;
    return f;
}

// subprocess.Popen's pipe ends: a file over fd itself (no copy), which closing the file closes.
ObjFile *file_adopt_descriptor(Vm *vm, int fd, bool reading, bool binary) {
    FILE *fp = fdopen(fd, reading ? "r" : "w");
    if (!fp) {
        raise_os_error(vm, errno, NULL);
        return NULL;
    }
    return file_named_by_descriptor(vm, fp, fd, reading, !reading, binary);
}

// ---- what both kinds share ----------------------------------------------------------------------

static ObjClass *unsupported_operation(Vm *vm) { return vm->UnsupportedOperation; }

// The file of self, open; else ValueError "<what> of closed file" (or CPython's generic words
// when what is NULL).
static ObjFile *open_file(Vm *vm, Value self, const char *what) {
    ObjFile *f = AS_FILE(self);
    if (f->fp) return f;
    if (what) vm_raise(vm, vm->ValueError, "%s of closed file", what);
    else vm_raise(vm, vm->ValueError, "I/O operation on closed file.");
    return NULL;
}

// C streams need a seek or a flush between reading and writing the same FILE.
static void turn_to(ObjFile *f, int8_t direction) {
    if (f->last_io && f->last_io != direction) {
        if (direction > 0) fseek(f->fp, 0, SEEK_CUR);
        else fflush(f->fp);
    }
    f->last_io = direction;
}

// With other threads alive, a read that would block (a pipe, a terminal, a socket's file with
// nothing buffered) first waits for data with the interpreter lock released, so the others run
// meanwhile.  The read itself then runs with the lock held: it finds data at least for its first
// refill (a line that arrives in pieces may still block the rest of it, holding the lock).
// A socket's file (makefile) waits so only when its socket blocks: one with a timeout waits in
// its own stream functions (socket_stream.c), holding the lock.
static bool wait_for_data(Vm *vm, ObjFile *f) {
    if (!vm_other_threads_alive()) return true;
    FILE *fp = f->fp;
#ifdef __GLIBC__
    if (fp->_IO_read_ptr < fp->_IO_read_end) return true; // bytes are buffered already
#else
    return true;
#endif
    int fd = fileno(fp);
    if (f->socket_stream) fd = f->socket_stream->timeout < 0 ? f->socket_stream->fd : -1;
    struct stat st;
    if (fd < 0 || (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))) return true;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        vm_release_lock(vm);
        int r = poll(&p, 1, -1);
        int err = errno;
        vm_acquire_lock(vm);
        if (r >= 0 || err != EINTR) return true;
        if (vm_interrupted && !vm_run_signal_handlers(vm)) return false;
    }
}

// Checks that f may be read, and waits for data (see wait_for_data).
static bool check_readable(Vm *vm, ObjFile *f) {
    if (f->readable) {
        turn_to(f, -1);
        return wait_for_data(vm, f);
    }
    return vm_raise(vm, unsupported_operation(vm), f->binary ? "read" : "not readable");
}

static bool check_writable(Vm *vm, ObjFile *f) {
    if (f->writable) {
        turn_to(f, +1);
        return true;
    }
    return vm_raise(vm, unsupported_operation(vm), f->binary ? "write" : "not writable");
}

// Before reading a socket's file: a file whose read timed out refuses (as CPython's).
static bool may_read(Vm *vm, ObjFile *f) {
    if (!f->socket_stream || !f->socket_stream->timed_out) return true;
    return vm_raise(vm, vm->OSError, "cannot read from timed out object");
}

// After a read (or write): clears the stream's error so that the next call tries again (end of
// file is not sticky either: a file that grows can be read again); for a socket's file, the
// TimeoutError of a wait that ran out, and whether a non-blocking socket had nothing (*stalled).
static bool after_io(Vm *vm, ObjFile *f, bool *stalled) {
    clearerr(f->fp);
    if (!stream_ok(vm, f)) return false;
    SocketStream *s = f->socket_stream;
    if (stalled) *stalled = s && s->would_block;
    if (!s) return true;
    s->would_block = false;
    if (!s->timed_out_now) return true;
    s->timed_out_now = false;
    return vm_raise(vm, vm->TimeoutError, "timed out");
}

bool file_write_str(Vm *vm, Value file, ObjStr *s) {
    if (IS_FILE(file)) {
        ObjFile *f = open_file(vm, file, NULL);
        if (!f || !check_writable(vm, f)) return false;
        if (f->binary) return vm_raise(vm, vm->TypeError, "a bytes-like object is required, not 'str'");
        fwrite(s->chars, 1, s->length, f->fp);
        if (f->fp == stderr) fflush(stderr);
        return stream_ok(vm, f);
    }
    Value write, ignored;
    if (!vm_getattr(vm, file, str_from_c(vm, "write"), &write)) return false;
    return vm_call1(vm, write, OBJ_VAL(s), &ignored);
}

// Reads one line including its '\n', at most limit bytes (limit < 0: no limit); false at end
// of file with nothing read.
static bool read_line(FILE *fp, StrBuf *sb, int64_t limit) {
    int c;
    bool any = false;
    for (int64_t n = 0; (limit < 0 || n < limit) && (c = fgetc(fp)) != EOF; n++) {
        any = true;
        sb_putc(sb, (char)c);
        if (c == '\n') break;
    }
    return any;
}

// A size argument: absent or None is -1 (everything); else an int.
static bool size_arg(Vm *vm, Value *args, int nargs, int64_t *out) {
    *out = -1;
    if (nargs < 2 || IS_NONE(args[1])) return true;
    if (IS_INTLIKE(args[1])) {
        *out = AS_INTLIKE(args[1]);
        return true;
    }
    if (IS_OBJ(args[1]) && !IS_EMPTY(class_lookup(vm_class_of(vm, args[1]), vm->s_index)))
        return vm_index_value(vm, args[1], out);
    return vm_raise(vm, vm->TypeError, "argument should be integer or None, not '%s'",
                    vm_type_name(vm, args[1]));
}

// An int argument, or an object with __index__.
static bool index_arg(Vm *vm, Value v, int64_t *out) {
    if (IS_INTLIKE(v)) {
        *out = AS_INTLIKE(v);
        return true;
    }
    if (!IS_OBJ(v) || IS_BIGINT(v) || IS_EMPTY(class_lookup(vm_class_of(vm, v), vm->s_index)))
        return vm_raise(vm, IS_BIGINT(v) ? vm->OverflowError : vm->TypeError,
                        IS_BIGINT(v) ? "Python int too large to convert to C long"
                                     : "'%s' object cannot be interpreted as an integer",
                        vm_type_name(vm, v));
    return vm_index_value(vm, v, out);
}

// seek(offset, whence=0): whence 0 from the start, 1 from here, 2 from the end; the new position.
static bool file_seek(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "seek", nargs - 1, kwnames, 1, 2)) return false;
    ObjFile *f = open_file(vm, args[0], AS_FILE(args[0])->binary ? "seek" : NULL);
    if (!f) return false;
    int64_t offset, whence = 0;
    if (!index_arg(vm, args[1], &offset) || (nargs == 3 && !index_arg(vm, args[2], &whence)))
        return false;
    if (whence < 0 || whence > 2) return vm_raise(vm, vm->ValueError, "whence value %lld unsupported", (long long)whence);
    if (fseeko(f->fp, (off_t)offset, whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : SEEK_END) != 0)
        return raise_os_error(vm, errno, NULL);
    f->last_io = 0;
    *result = INT_VAL((int64_t)ftello(f->fp));
    return true;
}

static bool file_tell(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "tell", nargs - 1, kwnames, 0, 0)) return false;
    ObjFile *f = AS_FILE(args[0]);
    if (!f->fp) return vm_raise(vm, vm->ValueError, "I/O operation on closed file");
    *result = INT_VAL((int64_t)ftello(f->fp));
    return true;
}

static bool file_self(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!open_file(vm, args[0], NULL)) return false;
    *result = args[0];
    return true;
}

static bool file_close(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    if (f->fp && !f->is_std) fclose(f->fp);
    else if (f->fp) fflush(f->fp);
    if (!f->is_std) f->fp = NULL;
    *result = NONE_VAL();
    return stream_ok(vm, f);
}

static bool file_exit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value ignored;
    file_close(vm, args, 1, NULL, &ignored);
    *result = BOOL_VAL(false);
    return true;
}

static bool file_flush(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    f = open_file(vm, args[0], f->binary && f->writable ? "flush" : NULL);
    if (!f) return false;
    if (fflush(f->fp) != 0 && f->socket_stream) {
        int err = errno;
        return after_io(vm, f, NULL) && raise_os_error(vm, err, NULL);
    }
    if (f->last_io > 0) f->last_io = 0;
    *result = NONE_VAL();
    return stream_ok(vm, f);
}

static bool file_readable(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    if (!f->fp && !f->binary) return open_file(vm, args[0], NULL) != NULL;
    *result = BOOL_VAL(f->fp && f->readable);
    return true;
}

static bool file_writable(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    if (!f->fp && !f->binary) return open_file(vm, args[0], NULL) != NULL;
    *result = BOOL_VAL(f->fp && f->writable);
    return true;
}

static bool file_seekable(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = open_file(vm, args[0], NULL);
    if (!f) return false;
    *result = BOOL_VAL(ftello(f->fp) >= 0);
    return true;
}

static bool file_fileno(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = open_file(vm, args[0], NULL);
    if (!f) return false;
    *result = INT_VAL(f->name_fd >= 0 ? f->name_fd : fileno(f->fp));
    return true;
}

static bool file_closed(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = BOOL_VAL(AS_FILE(args[0])->fp == NULL);
    return true;
}

static bool file_name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    *result = f->name_fd >= 0 ? INT_VAL(f->name_fd) : OBJ_VAL(f->name);
    return true;
}

static bool file_mode(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = OBJ_VAL(AS_FILE(args[0])->mode);
    return true;
}

static bool file_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    const char *quote = f->name_fd >= 0 ? "" : "'"; // a descriptor's name is a number
    if (f->binary)
        *result = OBJ_VAL(str_printf(vm, "<_io.%s name=%s%s%s>", f->obj.cls->name->chars, quote, f->name->chars, quote));
    else
        *result = OBJ_VAL(str_printf(vm, "<_io.TextIOWrapper name=%s%s%s mode='%s' encoding='UTF-8'>", quote,
                                     f->name->chars, quote, f->mode->chars));
    return true;
}

// sys.stdout.buffer and friends: a binary file on the same C stream, so text and bytes written
// to one std stream keep their order.  Other text files have no binary side in aio.
static bool file_buffer(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    if (!f->is_std)
        return vm_raise(vm, vm->AttributeError, "'_io.TextIOWrapper' object has no attribute 'buffer'");
    if (IS_EMPTY(f->buffer)) {
        bool input = f->fp == stdin;
        ObjFile *b = new_file(vm, input ? vm->buffered_reader_class : vm->buffered_writer_class, f->fp,
                              f->name->chars, input ? "rb" : "wb", true);
        f = AS_FILE(args[0]); // (args stay rooted)
        f->buffer = OBJ_VAL(b);
    }
    *result = f->buffer;
    return true;
}

static bool file_isatty(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    *result = BOOL_VAL(f->fp && isatty(fileno(f->fp)));
    return true;
}

// ---- text files ---------------------------------------------------------------------------------

static bool text_write(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "write", nargs, kwnames, 2, 2)) return false;
    if (!IS_STR(args[1]))
        return vm_raise(vm, vm->TypeError, "write() argument must be str, not %s", arg_type_name(vm, args[1]));
    if (!file_write_str(vm, args[0], AS_STR(args[1]))) return false;
    *result = INT_VAL((int64_t)AS_STR(args[1])->nchars);
    return true;
}

static bool text_writelines(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "writelines", nargs, kwnames, 2, 2)) return false;
    ObjList *lines = vm_list_from_iterable(vm, args[1]);
    if (!lines) return false;
    vm_push_root(vm, OBJ_VAL(lines));
    for (size_t i = 0; i < lines->count; i++) {
        if (!IS_STR(lines->items[i]) || !file_write_str(vm, args[0], AS_STR(lines->items[i]))) {
            vm_pop_root(vm);
            if (IS_EMPTY(vm->exception)) return vm_raise(vm, vm->TypeError, "write() argument must be str");
            return false;
        }
    }
    vm_pop_root(vm);
    *result = NONE_VAL();
    return true;
}

static bool text_readline(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "readline", nargs, kwnames, 1, 2)) return false;
    ObjFile *f = open_file(vm, args[0], NULL);
    if (!f || !check_readable(vm, f)) return false;
    if (f->fp == stdin) fflush(stdout);
    if (!may_read(vm, f)) return false;
    StrBuf sb;
    sb_init(&sb);
    read_line(f->fp, &sb, -1);
    if (!after_io(vm, f, NULL)) {
        sb_free(&sb);
        return false;
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool text_read(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "read", nargs, kwnames, 1, 2)) return false;
    ObjFile *f = open_file(vm, args[0], NULL);
    if (!f || !check_readable(vm, f)) return false;
    int64_t limit = -1;
    if (nargs == 2 && !IS_NONE(args[1]) && !arg_int(vm, args[1], &limit)) return false;
    if (limit != 0 && !may_read(vm, f)) return false;
    StrBuf sb;
    sb_init(&sb);
    int64_t chars = 0;
    int c;
    while ((limit < 0 || chars < limit) && (c = fgetc(f->fp)) != EOF) {
        sb_putc(&sb, (char)c);
        if (((unsigned char)c & 0xC0) != 0x80) {
            // count code points: finish a multi-byte sequence before counting the next one
            chars++;
        }
        if (limit >= 0 && chars == limit) {
            // pull in continuation bytes of the last character
            int d;
            while ((d = fgetc(f->fp)) != EOF && ((unsigned char)d & 0xC0) == 0x80) sb_putc(&sb, (char)d);
            if (d != EOF) ungetc(d, f->fp);
        }
    }
    if (!after_io(vm, f, NULL)) {
        sb_free(&sb);
        return false;
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// The lines of a file as a list of str (text) or bytes (binary).
static bool read_lines(Vm *vm, ObjFile *f, Value *result) {
    if (!may_read(vm, f)) return false;
    ObjList *l = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(l));
    for (;;) {
        StrBuf sb;
        sb_init(&sb);
        if (!read_line(f->fp, &sb, -1)) {
            sb_free(&sb);
            break;
        }
        Value line = f->binary ? OBJ_VAL(bytes_new(vm, sb.data, sb.length)) : OBJ_VAL(str_from_buf(vm, &sb));
        if (f->binary) sb_free(&sb);
        vm_push_root(vm, line);
        list_append(vm, l, line);
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    *result = OBJ_VAL(l);
    return after_io(vm, f, NULL);
}

static bool file_readlines(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "readlines", nargs, kwnames, 1, 2)) return false;
    ObjFile *f = open_file(vm, args[0], NULL);
    if (!f || !check_readable(vm, f)) return false;
    return read_lines(vm, f, result);
}

static bool file_next(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = open_file(vm, args[0], NULL);
    if (!f || !check_readable(vm, f) || !may_read(vm, f)) return false;
    StrBuf sb;
    sb_init(&sb);
    bool any = read_line(f->fp, &sb, -1);
    if (!after_io(vm, f, NULL)) {
        sb_free(&sb);
        return false;
    }
    if (!any) {
        sb_free(&sb);
        return vm_raise_value(vm, OBJ_VAL(vm->StopIteration));
    }
    if (f->binary) {
        *result = OBJ_VAL(bytes_new(vm, sb.data, sb.length));
        sb_free(&sb);
    } else {
        *result = OBJ_VAL(str_from_buf(vm, &sb));
    }
    return true;
}

// ---- binary files -------------------------------------------------------------------------------

// read(size=-1): up to size bytes (all that is left when size is negative or None).
static bool binary_read(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "read", nargs - 1, kwnames, 0, 1)) return false;
    ObjFile *f = open_file(vm, args[0], "read");
    int64_t size;
    if (!f || !check_readable(vm, f) || !size_arg(vm, args, nargs, &size)) return false;
    if (size < -1) return vm_raise(vm, vm->ValueError, "read length must be non-negative or -1");
    if (size != 0 && !may_read(vm, f)) return false;
    StrBuf sb;
    sb_init(&sb);
    if (size >= 0) {
        if (!sb_try_reserve(&sb, (size_t)size)) return vm_raise_memory_error(vm);
        sb.length = fread(sb.data, 1, (size_t)size, f->fp);
    } else {
        char chunk[8192];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f->fp)) > 0) {
            if (!sb_try_reserve(&sb, got)) {
                sb_free(&sb);
                return vm_raise_memory_error(vm);
            }
            sb_append(&sb, chunk, got);
        }
    }
    bool stalled;
    if (!after_io(vm, f, &stalled)) {
        sb_free(&sb);
        return false;
    }
    if (stalled && sb.length == 0 && size != 0) {
        // a non-blocking socket with nothing to read yet
        sb_free(&sb);
        *result = NONE_VAL();
        return true;
    }
    ObjBytes *b = bytes_try_alloc(vm, sb.length);
    if (b) {
        if (sb.length) memcpy(b->data, sb.data, sb.length);
        b->hash = hash_bytes(b->data, b->length);
        *result = OBJ_VAL(b);
    }
    sb_free(&sb);
    return b != NULL;
}

// readinto(buffer): fills a bytearray or a writable contiguous memoryview; the count read.
static bool binary_readinto(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "readinto", nargs - 1, kwnames, 1, 1)) return false;
    ObjFile *f = open_file(vm, args[0], "readinto");
    if (!f || !check_readable(vm, f)) return false;
    Value target = args[1];
    ByteSpan span;
    int r = bytes_like_writable(vm, target, &span);
    if (r < 0) return false;
    if (r == 0)
        return vm_raise(vm, vm->TypeError, "readinto() argument must be read-write bytes-like object, not %s",
                        vm_type_name(vm, target));
    if (span.length && !may_read(vm, f)) return false;
    size_t got = span.length ? fread((unsigned char *)span.data, 1, span.length, f->fp) : 0;
    bool stalled;
    if (!after_io(vm, f, &stalled)) return false;
    *result = stalled && got == 0 ? NONE_VAL() : INT_VAL((int64_t)got);
    return true;
}

static bool binary_readline(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "readline", nargs - 1, kwnames, 0, 1)) return false;
    ObjFile *f = open_file(vm, args[0], "readline");
    int64_t size;
    if (!f || !check_readable(vm, f) || !size_arg(vm, args, nargs, &size)) return false;
    if (size != 0 && !may_read(vm, f)) return false;
    StrBuf sb;
    sb_init(&sb);
    read_line(f->fp, &sb, size);
    bool ok = after_io(vm, f, NULL);
    if (ok) *result = OBJ_VAL(bytes_new(vm, sb.data ? sb.data : "", sb.length));
    sb_free(&sb);
    return ok;
}

// write(bytes-like): all of it, and its length.
static bool binary_write(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "write", nargs - 1, kwnames, 1, 1)) return false;
    if (!AS_FILE(args[0])->writable) return check_writable(vm, AS_FILE(args[0]));
    ObjFile *f = open_file(vm, args[0], NULL);
    if (!f) return vm_raise(vm, vm->ValueError, "write to closed file");
    ByteSpan span;
    if (!check_writable(vm, f) || !bytes_like_or_raise(vm, args[1], &span)) return false;
    if (span.length && fwrite(span.data, 1, span.length, f->fp) != span.length) {
        int err = errno;
        return after_io(vm, f, NULL) && raise_os_error(vm, err, NULL);
    }
    *result = INT_VAL((int64_t)span.length);
    return true;
}

static bool binary_writelines(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "writelines", nargs - 1, kwnames, 1, 1)) return false;
    if (!open_file(vm, args[0], NULL)) return false;
    ObjList *lines = vm_list_from_iterable(vm, args[1]);
    if (!lines) return false;
    vm_push_root(vm, OBJ_VAL(lines));
    bool ok = true;
    for (size_t i = 0; ok && i < lines->count; i++) {
        Value call[2] = {args[0], lines->items[i]}, ignored;
        ok = binary_write(vm, call, 2, NULL, &ignored);
    }
    vm_pop_root(vm);
    *result = NONE_VAL();
    return ok;
}

// ---- classes ------------------------------------------------------------------------------------

static void define_shared(Vm *vm, ObjClass *cls) {
    define_methods(vm, cls, (MethodDef[]){{"readlines", file_readlines},
                                          {"__next__", file_next},
                                          {"__iter__", file_self},
                                          {"__enter__", file_self},
                                          {"__exit__", file_exit},
                                          {"close", file_close},
                                          {"flush", file_flush},
                                          {"seek", file_seek},
                                          {"tell", file_tell},
                                          {"readable", file_readable},
                                          {"writable", file_writable},
                                          {"seekable", file_seekable},
                                          {"fileno", file_fileno},
                                          {"isatty", file_isatty},
                                          {"__repr__", file_repr},
                                          {NULL, NULL}});
    define_getters(vm, cls, (MethodDef[]){{"closed", file_closed}, {"name", file_name}, {"mode", file_mode}, {NULL, NULL}});
}

static ObjClass *binary_class(Vm *vm, const char *name) {
    ObjClass *cls = define_class(vm, name, vm->object_class, OBJ_FILE);
    dict_set_cstr(vm, cls->dict, "__module__", OBJ_VAL(str_from_c(vm, "_io")));
    define_shared(vm, cls);
    define_methods(vm, cls, (MethodDef[]){{"read", binary_read},
                                          {"readinto", binary_readinto},
                                          {"readline", binary_readline},
                                          {"write", binary_write},
                                          {"writelines", binary_writelines},
                                          {NULL, NULL}});
    return cls;
}

void runtime_init_file(Vm *vm) {
    define_shared(vm, vm->file_class);
    define_getters(vm, vm->file_class, (MethodDef[]){{"buffer", file_buffer}, {NULL, NULL}});
    define_methods(vm, vm->file_class, (MethodDef[]){{"write", text_write},
                                                     {"writelines", text_writelines},
                                                     {"read", text_read},
                                                     {"readline", text_readline},
                                                     {NULL, NULL}});
    vm->buffered_reader_class = binary_class(vm, "BufferedReader");
    vm->buffered_writer_class = binary_class(vm, "BufferedWriter");
    vm->buffered_random_class = binary_class(vm, "BufferedRandom");
    // io.UnsupportedOperation: not a builtin name (it lives in io), so not made by exception_class.
    ObjClass *unsupported = define_class(vm, "UnsupportedOperation", vm->OSError, OBJ_EXCEPTION);
    unsupported->flags |= CLASS_EXCEPTION;
    unsupported->flags &= ~CLASS_BUILTIN;
    dict_set_cstr(vm, unsupported->dict, "__module__", OBJ_VAL(str_from_c(vm, "io")));
    vm->UnsupportedOperation = unsupported;
    define_native(vm, vm->builtins, "open", builtin_open);
    vm->stdout_file = OBJ_VAL(new_file(vm, vm->file_class, stdout, "<stdout>", "w", true));
    vm->stderr_file = OBJ_VAL(new_file(vm, vm->file_class, stderr, "<stderr>", "w", true));
    vm->stdin_file = OBJ_VAL(new_file(vm, vm->file_class, stdin, "<stdin>", "r", true));
}
