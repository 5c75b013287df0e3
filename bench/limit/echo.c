/* The physical limit for bench/echo.aio: the same protocol written directly on libuv in C, with
 * no interpreter in between.  One loop holds a TCP server on 127.0.0.1 (port chosen by the
 * kernel) and CLIENTS client connections; each client sends a MESSAGE_SIZE-byte message, waits
 * until the whole echo has come back, and repeats ROUNDS times.  The server writes back whatever
 * it reads.  Prints the number of round trips on stdout and, on stderr, round trips per second
 * (bench/run.py reads the figure after the last colon), timed from the first connect to the last
 * echo, as the .aio version does.
 *
 * Built and run by bench/run.py (make bench); by hand:
 *     cc -O2 bench/limit/echo.c -o build/echo-limit $(pkg-config --cflags --libs libuv)
 *
 * Invariant: a client has at most one message in flight, so its single write request and its
 * constant message buffer are never in use twice.  The server side may have several writes
 * pending on one connection; each owns a heap copy of the bytes it sends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

enum { CLIENTS = 50, ROUNDS = 2000, MESSAGE_SIZE = 64, READ_BUFFER_SIZE = 4096 };

typedef struct {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    size_t bytes_back;     /* bytes of the current message's echo received so far */
    int rounds_done;
    char read_buffer[READ_BUFFER_SIZE];
} EchoClient;

typedef struct {
    uv_tcp_t tcp;
    char read_buffer[READ_BUFFER_SIZE];
} ServerConnection;

typedef struct {
    uv_write_t req;
    char bytes[];          /* the copy being written; freed with the request */
} PendingEcho;

static uv_loop_t *loop;
static uv_tcp_t listener;
static EchoClient clients[CLIENTS];
static int clients_finished;
static long total_round_trips;
static const char message[MESSAGE_SIZE] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";

static void fail(const char *what, int status) {
    fprintf(stderr, "echo-limit: %s: %s\n", what, uv_strerror(status));
    exit(1);
}

static void free_handle(uv_handle_t *handle) { free(handle); }

static void noop_close(uv_handle_t *handle) { (void)handle; }

/* ---- server side ---------------------------------------------------------------------------- */

static void give_connection_buffer(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    ServerConnection *conn = (ServerConnection *)handle;
    *buf = uv_buf_init(conn->read_buffer, sizeof conn->read_buffer);
}

static void echo_written(uv_write_t *req, int status) {
    if (status < 0 && status != UV_ECANCELED) fail("server write", status);
    free(req);  /* the request is the first member of its PendingEcho */
}

/* Writes the bytes back: straight from the read buffer when the socket takes them all at once
 * (the usual case), otherwise the rest goes out through a queued write that owns a copy. */
static void echo_back(uv_stream_t *stream, const char *bytes, size_t length) {
    uv_buf_t buf = uv_buf_init((char *)bytes, (unsigned)length);
    int sent = uv_try_write(stream, &buf, 1);
    if (sent < 0 && sent != UV_EAGAIN) fail("server try_write", sent);
    size_t done = sent > 0 ? (size_t)sent : 0;
    if (done == length) return;
    PendingEcho *pending = malloc(sizeof *pending + (length - done));
    if (!pending) { fputs("echo-limit: out of memory\n", stderr); exit(1); }
    memcpy(pending->bytes, bytes + done, length - done);
    uv_buf_t rest = uv_buf_init(pending->bytes, (unsigned)(length - done));
    int status = uv_write(&pending->req, stream, &rest, 1, echo_written);
    if (status < 0) fail("server write", status);
}

static void connection_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    if (nread > 0) {
        echo_back(stream, buf->base, (size_t)nread);
    } else if (nread < 0) {
        /* the client closed (UV_EOF) or failed: either way this connection is over */
        uv_close((uv_handle_t *)stream, free_handle);
    }
}

static void accept_connection(uv_stream_t *server, int status) {
    if (status < 0) fail("listen", status);
    ServerConnection *conn = malloc(sizeof *conn);
    if (!conn) { fputs("echo-limit: out of memory\n", stderr); exit(1); }
    uv_tcp_init(loop, &conn->tcp);
    status = uv_accept(server, (uv_stream_t *)&conn->tcp);
    if (status < 0) fail("accept", status);
    uv_tcp_nodelay(&conn->tcp, 1);
    uv_read_start((uv_stream_t *)&conn->tcp, give_connection_buffer, connection_read);
}

/* ---- client side ---------------------------------------------------------------------------- */

static void message_written(uv_write_t *req, int status) {
    if (status < 0) fail("client write", status);
}

static void send_message(EchoClient *client) {
    client->bytes_back = 0;
    uv_buf_t buf = uv_buf_init((char *)message, MESSAGE_SIZE);
    int status = uv_write(&client->write_req, (uv_stream_t *)&client->tcp, &buf, 1,
                          message_written);
    if (status < 0) fail("client write", status);
}

static void give_client_buffer(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    EchoClient *client = (EchoClient *)handle;
    *buf = uv_buf_init(client->read_buffer, sizeof client->read_buffer);
}

static void client_finished(void) {
    if (++clients_finished == CLIENTS) uv_close((uv_handle_t *)&listener, noop_close);
}

static void client_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    EchoClient *client = (EchoClient *)stream;
    if (nread < 0) fail("client read", (int)nread);
    client->bytes_back += (size_t)nread;
    if (client->bytes_back < MESSAGE_SIZE) return;
    if (client->bytes_back > MESSAGE_SIZE) {
        fputs("echo-limit: more bytes came back than were sent\n", stderr);
        exit(1);
    }
    total_round_trips++;
    if (++client->rounds_done < ROUNDS) {
        send_message(client);
    } else {
        uv_read_stop(stream);
        uv_close((uv_handle_t *)stream, noop_close);
        client_finished();
    }
}

static void client_connected(uv_connect_t *req, int status) {
    if (status < 0) fail("connect", status);
    EchoClient *client = req->data;
    uv_tcp_nodelay(&client->tcp, 1);
    uv_read_start((uv_stream_t *)&client->tcp, give_client_buffer, client_read);
    send_message(client);
}

int main(void) {
    loop = uv_default_loop();
    struct sockaddr_in address;
    uv_ip4_addr("127.0.0.1", 0, &address);
    uv_tcp_init(loop, &listener);
    int status = uv_tcp_bind(&listener, (const struct sockaddr *)&address, 0);
    if (status < 0) fail("bind", status);
    status = uv_listen((uv_stream_t *)&listener, 128, accept_connection);
    if (status < 0) fail("listen", status);
    int length = sizeof address;
    uv_tcp_getsockname(&listener, (struct sockaddr *)&address, &length);

    uint64_t start = uv_hrtime();
    for (int i = 0; i < CLIENTS; i++) {
        EchoClient *client = &clients[i];
        uv_tcp_init(loop, &client->tcp);
        client->connect_req.data = client;
        status = uv_tcp_connect(&client->connect_req, &client->tcp,
                                (const struct sockaddr *)&address, client_connected);
        if (status < 0) fail("connect", status);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    double elapsed = (double)(uv_hrtime() - start) / 1e9;

    printf("%ld\n", total_round_trips);
    fprintf(stderr, "round trips/s: %ld\n", (long)(total_round_trips / elapsed));
    uv_loop_close(loop);
    return total_round_trips == (long)CLIENTS * ROUNDS ? 0 : 1;
}
