/* The C stream under a socket's file (socket.makefile): stdio reads and writes the socket's
 * descriptor through the functions here (glibc's fopencookie), so that the file keeps the
 * socket's timeout as CPython's socket files do.
 *
 * A socket with a timeout has a non-blocking descriptor, and the file's copy of the descriptor
 * shares that flag.  So a read that finds nothing waits in poll(2) for up to the timeout (the
 * socket's when makefile() was called) and, when it runs out, the stream is marked timed out:
 * file.c raises TimeoutError "timed out" once and then refuses every read (what was buffered is
 * lost track of, as in CPython).  A non-blocking socket (timeout 0) does not wait: the read stops
 * and file.c hands out what came, or None when nothing did.  Writes wait the same way.
 */
#define _GNU_SOURCE // fopencookie
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "file.h"

// Waits until fd is ready for events; false when timeout seconds (< 0: no limit) pass first.
static bool wait_ready(int fd, short events, double timeout) {
    int ms = timeout < 0 ? -1 : (int)ceil(timeout * 1000);
    struct pollfd p = {.fd = fd, .events = events};
    int r;
    do r = poll(&p, 1, ms);
    while (r < 0 && errno == EINTR);
    return r != 0;
}

// Whether a failed call should wait and try again; sets the stream's marks when not.
static bool may_wait(SocketStream *s, short events) {
    if (errno == EINTR) return true;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    if (s->timeout == 0) {
        s->would_block = true;
        return false;
    }
    if (wait_ready(s->fd, events, s->timeout)) return true;
    s->timed_out = s->timed_out_now = true;
    errno = ETIMEDOUT;
    return false;
}

static ssize_t stream_read(void *cookie, char *buf, size_t size) {
    SocketStream *s = cookie;
    if (s->timed_out) {
        errno = ETIMEDOUT;
        return -1;
    }
    for (;;) {
        ssize_t n = read(s->fd, buf, size);
        if (n >= 0 || !may_wait(s, POLLIN)) return n;
    }
}

// glibc takes a short count from a cookie's write as a failure: all of buf goes, or the call
// fails (with what went counted).
static ssize_t stream_write(void *cookie, const char *buf, size_t size) {
    SocketStream *s = cookie;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(s->fd, buf + done, size - done);
        if (n >= 0) done += (size_t)n;
        else if (!may_wait(s, POLLOUT)) break;
    }
    return (ssize_t)done;
}

static int stream_close(void *cookie) {
    SocketStream *s = cookie;
    int r = close(s->fd);
    free(s);
    return r;
}

FILE *socket_stream_open(int fd, const char *mode, double timeout, SocketStream **out) {
    SocketStream *s = calloc(1, sizeof *s);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    s->fd = fd;
    s->timeout = timeout;
    FILE *fp = fopencookie(s, mode, (cookie_io_functions_t){.read = stream_read, .write = stream_write,
                                                            .close = stream_close});
    if (!fp) {
        free(s);
        return NULL;
    }
    *out = s;
    return fp;
}
