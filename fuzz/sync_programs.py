#!/usr/bin/env python3
"""Differential fuzzing of asyncio's synchronization primitives and queues, aio vs python3.

Each seed makes a program whose tasks share one Lock, Semaphore, BoundedSemaphore, Event,
Condition, Barrier, Queue (random maxsize) and PriorityQueue, and take random steps on them:
acquiring and holding across sleep(0), waiting and notifying, putting and getting with and
without waiting, join(), zero timeouts, and cancelling each other.  In the end main cancels every
task and prints the state of every primitive (reprs with addresses masked).  The programs are
deterministic, so aio must print exactly what CPython prints: any difference is a wake-up order,
hand-off or cancellation bug in stdlib/asyncio/locks.aio or queues.aio.

    python3 fuzz/sync_programs.py [--aio PATH] [--seeds N] [--first S] [--keep DIR]

Prints one line per differing seed and a final count; differing programs are kept in DIR
(default /tmp/aio-fuzz-sync) to be rerun by hand.
"""
import random
import sys

import _diffrun

PRELUDE = '''import asyncio

def masked(text):
    out = ''
    i = 0
    while i < len(text):
        if text.startswith('0x', i):
            out += '0x?'
            i += 2
            while i < len(text) and text[i] in '0123456789abcdef':
                i += 1
        else:
            out += text[i]
            i += 1
    return out

async def hold(i, what, turns):
    print(i, 'holds', what)
    for _ in range(turns):
        await asyncio.sleep(0)

def cancel_next(i, tasks):
    # Cancels a neighbour right after this task woke a waiter: the woken
    # waiter may be the one cancelled, which exercises the hand-over paths.
    t = tasks[(i + 1) % len(tasks)]
    print(i, 'then cancels', t.get_name(), t.cancel())

async def worker(i, steps, tasks, s):
    try:
        for k, op in enumerate(steps):
            if op == 0:
                await asyncio.sleep(0)
            elif op == 1:
                async with s.lock:
                    await hold(i, 'lock', k % 3)
                if k % 2:
                    cancel_next(i, tasks)
            elif op == 2:
                async with s.sem:
                    await hold(i, 'sem', k % 2)
                if k % 3 == 1:
                    cancel_next(i, tasks)
            elif op == 3:
                await s.q.put((i, k))
                print(i, 'put', (i, k))
            elif op == 4:
                item = await s.q.get()
                print(i, 'got', item)
                if k % 2:
                    s.q.task_done()
            elif op == 5:
                print(i, 'event', await s.ev.wait())
            elif op == 6:
                if k % 2:
                    s.ev.set()
                else:
                    s.ev.clear()
                print(i, 'event set' if k % 2 else 'event clear')
            elif op == 7:
                t = tasks[(i + k) % len(tasks)]
                print(i, 'cancel', t.get_name(), t.cancel())
            elif op == 8:
                async with s.cond:
                    print(i, 'cond waits')
                    print(i, 'cond woke', await s.cond.wait())
            elif op == 9:
                async with s.cond:
                    if k % 3 == 0:
                        s.cond.notify_all()
                    else:
                        s.cond.notify(k % 3)
                    print(i, 'notified', masked(repr(s.cond)))
                    if k % 2:
                        cancel_next(i, tasks)
            elif op == 10:
                try:
                    print(i, 'barrier index', await s.barrier.wait())
                except asyncio.BrokenBarrierError:
                    print(i, 'barrier broken')
            elif op == 11:
                if k % 3 == 0:
                    await s.barrier.abort()
                else:
                    await s.barrier.reset()
                print(i, 'barrier', masked(repr(s.barrier)))
            elif op == 12:
                try:
                    if k % 2:
                        s.q.put_nowait(('now', i))
                        print(i, 'put_nowait')
                    else:
                        print(i, 'get_nowait', s.q.get_nowait())
                    if k % 4 < 2:
                        cancel_next(i, tasks)
                except (asyncio.QueueFull, asyncio.QueueEmpty) as e:
                    print(i, type(e).__name__)
            elif op == 13:
                try:
                    await asyncio.wait_for(s.lock.acquire() if k % 2 else s.sem.acquire(), 0)
                    print(i, 'acquired in time')
                except asyncio.TimeoutError:
                    print(i, 'acquire timed out')
            elif op == 14:
                try:
                    s.bsem.release()
                    print(i, 'bsem released')
                except ValueError as e:
                    print(i, 'ValueError', e)
                await s.bsem.acquire()
                print(i, 'bsem acquired')
            elif op == 15:
                await s.pq.put((k % 3, i))
                print(i, 'pq get', await s.pq.get())
            elif op == 16:
                await s.q.join()
                print(i, 'joined')
            elif op == 17:
                try:
                    s.q.task_done()
                    print(i, 'task_done')
                except ValueError as e:
                    print(i, 'ValueError', e)
            print(i, 'step', k, op)
        return i
    except asyncio.CancelledError:
        print(i, 'cancelled')
        raise
    finally:
        print(i, 'finally')

class Shared:
    pass
'''


# Operations drawn for each step: the blocking ones (lock, sem, put, get, cond wait) come
# more often, so that several tasks queue up on the same primitive.
OPS = list(range(18)) + [0, 0, 1, 1, 2, 3, 3, 4, 4, 4, 8, 12, 12]


def program(seed):
    r = random.Random(seed)
    n_tasks = r.randint(2, 6)
    lines = [PRELUDE, "async def main():",
             "    s = Shared()",
             "    s.lock = asyncio.Lock()",
             f"    s.sem = asyncio.Semaphore({r.randint(0, 2)})",
             f"    s.bsem = asyncio.BoundedSemaphore({r.randint(1, 2)})",
             "    s.ev = asyncio.Event()",
             "    s.cond = asyncio.Condition()",
             f"    s.barrier = asyncio.Barrier({r.randint(1, 3)})",
             f"    s.q = asyncio.Queue({r.randint(0, 3)})",
             "    s.pq = asyncio.PriorityQueue()",
             "    tasks = []"]
    for i in range(n_tasks):
        steps = [r.choice(OPS) for _ in range(r.randint(1, 8))]
        lines.append(f"    tasks.append(asyncio.create_task(worker({i}, {steps}, tasks, s), name='w{i}'))")
    lines += [
        f"    for turn in range({r.randint(1, 20)}):",
        "        await asyncio.sleep(0)",
        "    for name in ('lock', 'sem', 'bsem', 'ev', 'cond', 'barrier'):",
        "        print(name, masked(repr(getattr(s, name))))",
        "    print('q', str(s.q), 'pq', str(s.pq))",
        "    for t in tasks:",  # every blocked task ends: the program always finishes
        "        print('main cancel', t.get_name(), t.cancel())",
        # one turn after each cancel shows who took over a turn the cancelled task held
        "        await asyncio.sleep(0)",
        "        print('q', str(s.q), masked(repr(s.lock)), masked(repr(s.sem)), masked(repr(s.cond)))",
        "    res = await asyncio.gather(*tasks, return_exceptions=True)",
        "    print([type(x).__name__ if isinstance(x, BaseException) else x for x in res])",
        "    for name in ('lock', 'sem', 'bsem', 'ev', 'cond', 'barrier'):",
        "        print(name, masked(repr(getattr(s, name))))",
        "    print('q', str(s.q), 'pq', str(s.pq))",
        "",
        "asyncio.run(main())",
    ]
    return "\n".join(lines) + "\n"


def main():
    args = _diffrun.parser(__doc__, keep="/tmp/aio-fuzz-sync").parse_args()
    return _diffrun.compare(args, ((f"seed {seed}", f"seed{seed}.py", program(seed))
                                   for seed in range(args.first, args.first + args.seeds)))


if __name__ == "__main__":
    sys.exit(main())
