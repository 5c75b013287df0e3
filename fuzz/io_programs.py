#!/usr/bin/env python3
"""Differential fuzzing of sockets and streams: random deterministic programs, aio against python3.

Each seed makes one program over a connected pair of sockets (a socketpair, or a TCP connection
on 127.0.0.1 with port 0).  Two kinds, chosen by the seed:

- streams: a StreamReader/StreamWriter on each end.  A producer task writes chunks of random
  sizes (a few bytes up to some hundreds of KiB, so the kernel's buffers fill and drain() waits),
  lines and separators, with drain(), writelines(), sleep(0) and, at the end, write_eof() or
  close().  A consumer task reads with read(n), read(), readline(), readexactly(n),
  readuntil(sep), at_eof(), reads cut off by wait_for(..., 0), reads cancelled after a number of
  turns of the loop, and pause_reading()/resume_reading() on its transport.  A small reader limit
  makes LimitOverrunError and ValueError likely.  Now and then the consumer answers on its own
  writer, half-closes, and the producer reads the answer back.
- protocols: a Protocol on each end logs every callback (connection_made, data_received with its
  size, eof_received, pause_writing/resume_writing, connection_lost); a driver task writes,
  half-closes, pauses and resumes reading, aborts or closes.

Every program ends by itself: the producer always ends its side (write_eof, close or abort),
the consumer resumes reading before it reads again, and a read is never left waiting for data
that cannot come.  What each read returns, and the order of the prints of the two tasks, is
fixed by the loop's rules (the same in CPython and aio), so any difference is a bug.

    python3 fuzz/io_programs.py [--aio PATH] [--seeds N] [--first S] [--keep DIR]

Prints one line per differing seed and a final count; differing programs stay in DIR (default
/tmp/aio-fuzz-io).  Try the sanitizer build too (--aio build/aio-asan).
"""
import random
import sys

import _diffrun

PRELUDE = '''import asyncio
import socket


def show(data):
    # short data as it is; long data as its length and a checksum
    if len(data) <= 24:
        return repr(bytes(data))
    return '<%d bytes, sum %d>' % (len(data), sum(data) % 65521)


def chunk(seed, size):
    # deterministic bytes with some newlines and '|' separators in them: a block of 251 made
    # from the seed, repeated
    block = bytearray()
    x = seed
    for _ in range(251):
        x = (x * 1103515245 + 12345) % 2147483648
        c = x >> 24
        block.append(10 if c < 3 else 124 if c < 6 else 97 + c % 26)
    return (bytes(block) * (size // 251 + 1))[:size]


async def pair(kind, limit):
    if kind == 'socketpair':
        a, b = socket.socketpair()
        left = await asyncio.open_connection(sock=a, limit=limit)
        right = await asyncio.open_connection(sock=b, limit=limit)
        return left, right, None
    accepted = asyncio.get_running_loop().create_future()

    async def take(reader, writer):
        accepted.set_result((reader, writer))

    server = await asyncio.start_server(take, '127.0.0.1', 0, limit=limit)
    port = server.sockets[0].getsockname()[1]
    left = await asyncio.open_connection('127.0.0.1', port, limit=limit)
    right = await accepted
    return left, right, server


async def attempt(label, coro):
    try:
        got = await coro
    except asyncio.IncompleteReadError as e:
        print(label, 'IncompleteReadError', show(e.partial), e.expected)
    except asyncio.LimitOverrunError as e:
        print(label, 'LimitOverrunError', e.consumed)
    except asyncio.TimeoutError:
        print(label, 'timeout')
    except asyncio.CancelledError:
        print(label, 'cancelled')
    except (ValueError, RuntimeError, ConnectionError) as e:
        print(label, type(e).__name__, e)
    else:
        print(label, show(got) if isinstance(got, (bytes, bytearray)) else got)
'''


def producer_ops(r):
    """Lines of the producer task's body (indent 8): writes, drains, turns of the loop."""
    lines = []
    for k in range(r.randint(1, 12)):
        op = r.choice(["write", "write", "write", "big", "line", "lines", "drain", "sleep", "sleep"])
        if op == "write":
            lines.append(f"w.write(chunk({r.randint(1, 10**6)}, {r.choice([1, 2, 5, 13, 100, 1000, 5000])}))")
        elif op == "big":
            lines.append(f"w.write(chunk({r.randint(1, 10**6)}, {r.choice([70000, 200000, 600000])}))")
            lines.append("print('producer buffered', w.transport.get_write_buffer_size() > 0)")
        elif op == "line":
            lines.append(f"w.write(b'line {k}\\n')")
        elif op == "lines":
            lines.append(f"w.writelines([b'a{k}', b'|', b'b{k}\\n', chunk({k}, {r.randint(0, 50)})])")
        elif op == "drain":
            lines.append(f"await attempt('producer drain {k}', w.drain())")
        else:
            lines.append("await asyncio.sleep(0)")
    ending = r.choice(["eof", "eof", "close", "drain_close", "abort"])
    if ending == "eof":
        lines += ["w.write_eof()", "print('producer eof')"]
        if r.random() < 0.5:
            lines += ["await attempt('producer reads answer', r.read())"]
    elif ending == "close":
        lines += ["w.close()", "print('producer closed')"]
    elif ending == "drain_close":
        lines += ["await attempt('producer final drain', w.drain())", "w.close()",
                  "await w.wait_closed()", "print('producer closed and waited')"]
    else:
        lines += ["await asyncio.sleep(0)", "w.transport.abort()", "print('producer aborted')"]
    return lines


def consumer_ops(r):
    lines = []
    for k in range(r.randint(1, 14)):
        op = r.choice(["read", "read", "readline", "readexactly", "readexactly", "readuntil",
                       "timeout", "cancel", "pause", "at_eof", "answer", "sleep"])
        label = f"'consumer {op} {k}'"
        if op == "read":
            n = r.choice([1, 3, 10, 100, 4096, 100000])
            lines.append(f"await attempt({label}, r.read({n}))")
        elif op == "readline":
            lines.append(f"await attempt({label}, r.readline())")
        elif op == "readexactly":
            n = r.choice([0, 1, 2, 7, 50, 1000, 70000])
            lines.append(f"await attempt({label}, r.readexactly({n}))")
        elif op == "readuntil":
            sep = r.choice(["b'|'", "b'\\n'", "b'||'", "b'a|'"])
            lines.append(f"await attempt({label}, r.readuntil({sep}))")
        elif op == "timeout":
            lines.append(f"await attempt({label}, asyncio.wait_for(r.readexactly({r.randint(1, 30)}), 0))")
        elif op == "cancel":
            what = r.choice(["r.readexactly(%d)" % r.randint(1, 3000), "r.readline()", "r.read(%d)" % r.randint(1, 50),
                             "r.readuntil(b'|')"])
            lines += [f"t = asyncio.create_task({what})"]
            lines += ["await asyncio.sleep(0)"] * r.randint(0, 3)
            lines += ["print('consumer cancel', t.cancel())",
                      f"await attempt({label}, t)"]
        elif op == "pause":
            # a read while the transport is paused by hand would wait forever: resume first
            lines += ["w.transport.pause_reading()", "print('consumer reading', w.transport.is_reading())"]
            lines += ["await asyncio.sleep(0)"] * r.randint(0, 3)
            lines += ["w.transport.resume_reading()", "print('consumer reading', w.transport.is_reading())"]
        elif op == "at_eof":
            lines.append(f"print('consumer at_eof', r.at_eof())")
        elif op == "answer":
            lines.append(f"w.write(b'answer {k}')")
        else:
            lines.append("await asyncio.sleep(0)")
    lines += ["await attempt('consumer rest', r.read())", "print('consumer at_eof', r.at_eof())"]
    if r.random() < 0.5:
        lines += ["w.write_eof()"]
    lines += ["w.close()", "await attempt('consumer wait_closed', w.wait_closed())"]
    return lines


def streams_program(seed, r):
    kind = r.choice(["socketpair", "socketpair", "tcp"])
    limit = r.choice([5, 20, 100, 2 ** 16])
    out = [PRELUDE]
    out.append("async def producer(r, w):")
    out.append("    try:")
    out += ["        " + l for l in producer_ops(r)]
    out += ["    except Exception as e:", "        print('producer', type(e).__name__, e)"]
    out.append("async def consumer(r, w):")
    out.append("    try:")
    out += ["        " + l for l in consumer_ops(r)]
    out += ["    except Exception as e:", "        print('consumer', type(e).__name__, e)"]
    out += [
        "async def main():",
        f"    (r1, w1), (r2, w2), server = await pair({kind!r}, {limit})",
        "    await asyncio.gather(producer(r1, w1), consumer(r2, w2))",
        "    w1.close()",
        "    await attempt('producer wait_closed', w1.wait_closed())",
        "    if server is not None:",
        "        server.close()",
        "        await server.wait_closed()",
        "    print('done')",
        "",
        "asyncio.run(main())",
    ]
    return "\n".join(out) + "\n"


PROTOCOL = '''
class Logger(asyncio.Protocol):
    def __init__(self, name, keep_open):
        self.name = name
        self.keep_open = keep_open
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        print(self.name, 'made')

    def data_received(self, data):
        print(self.name, 'data', show(data))

    def eof_received(self):
        print(self.name, 'eof', self.transport.is_closing())
        return self.keep_open

    def pause_writing(self):
        print(self.name, 'pause_writing')

    def resume_writing(self):
        print(self.name, 'resume_writing')

    def connection_lost(self, exc):
        print(self.name, 'lost', type(exc).__name__)
        self.lost.set_result(None)
'''


def protocols_program(seed, r):
    kind = r.choice(["socketpair", "tcp"])
    out = [PRELUDE, PROTOCOL]
    out += ["async def main():",
            "    loop = asyncio.get_running_loop()"]
    if kind == "socketpair":
        out += ["    a, b = socket.socketpair()",
                f"    ta, pa = await loop.create_connection(lambda: Logger('A', {r.choice([True, None])}), sock=a)",
                f"    tb, pb = await loop.create_connection(lambda: Logger('B', {r.choice([True, None])}), sock=b)",
                "    server = None"]
    else:
        out += ["    accepted = []",
                f"    server = await loop.create_server(lambda: accepted.append(Logger('B', {r.choice([True, None])})) or accepted[-1], '127.0.0.1', 0)",
                "    port = server.sockets[0].getsockname()[1]",
                f"    ta, pa = await loop.create_connection(lambda: Logger('A', {r.choice([True, None])}), '127.0.0.1', port)",
                "    while not accepted:",
                "        await asyncio.sleep(0)",
                "    pb = accepted[0]",
                "    tb = pb.transport"]
    if r.random() < 0.5:
        out.append(f"    ta.set_write_buffer_limits(high={r.choice([0, 100, 5000, 100000])})")
    for k in range(r.randint(1, 12)):
        side = r.choice(["ta", "tb"])
        op = r.choice(["write", "write", "big", "sleep", "sleep", "pause", "resume", "size"])
        if op == "write":
            out.append(f"    {side}.write(chunk({k}, {r.choice([1, 10, 1000])}))")
        elif op == "big":
            out.append(f"    {side}.write(chunk({k}, {r.choice([100000, 500000])}))")
        elif op == "sleep":
            out += ["    await asyncio.sleep(0)"] * r.randint(1, 3)
        elif op == "pause":
            out.append(f"    {side}.pause_reading()")
        elif op == "resume":
            out.append(f"    {side}.resume_reading()")
        else:
            out.append(f"    print('{side} buffered', {side}.get_write_buffer_size() > 0, {side}.is_closing())")
    ending = r.choice(["eof", "close", "abort"])
    first, second = r.sample(["ta", "tb"], 2)
    out += [f"    {first}.resume_reading()", f"    {second}.resume_reading()"]
    if ending == "eof":
        out += [f"    {first}.write_eof()", "    await asyncio.sleep(0)", f"    {second}.write_eof()"]
    elif ending == "close":
        out += [f"    {first}.close()"]
    else:
        out += [f"    {first}.abort()"]
    out += ["    await asyncio.sleep(0)",
            "    for t in (ta, tb):",
            "        t.close()",
            "    await asyncio.wait_for(asyncio.gather(pa.lost, pb.lost), 5)",
            "    if server is not None:",
            "        server.close()",
            "        await server.wait_closed()",
            "    print('done')",
            "",
            "asyncio.run(main())"]
    return "\n".join(out) + "\n"


def program(seed):
    r = random.Random(seed)
    if r.random() < 0.65:
        return "streams", streams_program(seed, r)
    return "protocols", protocols_program(seed, r)


def main():
    ap = _diffrun.parser(__doc__, keep="/tmp/aio-fuzz-io", timeout=20)
    args = ap.parse_args()

    def programs():
        for seed in range(args.first, args.first + args.seeds):
            kind, source = program(seed)
            yield f"{kind} seed {seed}", f"io{seed}.py", source

    return _diffrun.compare(args, programs())


if __name__ == "__main__":
    sys.exit(main())
