/* Build knobs and hard limits, all in one place (Wren's wren_common.h is the model).
 *
 * Every switch here is off in a release build.  The Makefile's variants turn them on, each built
 * in its own folder: `make VARIANT=gc` (build/aio-gc, what `make test-gc` runs) defines
 * AIO_STRESS_GC, `make VARIANT=debug` (build/aio-debug, what `make test-debug` runs) defines
 * AIO_DEBUG, `make VARIANT=fuzz` (build/aio-fuzz and build/aio-fuzz-cli, fuzz/README.md) defines
 * AIO_FUZZ and AIO_DEBUG.  AIO_LOG_GC has no variant: add it by hand, e.g.
 * `make VARIANT=debug OPT='-O1 -g -DAIO_DEBUG -DAIO_LOG_GC'` after removing build/debug.
 * Nothing outside this header should invent a build switch of its own.
 */
#ifndef AIO_COMMON_H
#define AIO_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// AIO_FUZZ: the limits that let a fuzzer run arbitrary programs (vm/fuzz_limits.c, vm.h): ticks
// of budget per program, and the bytes of heap (and of any one string buffer) it may use.
#ifdef AIO_FUZZ
#define AIO_FUZZ_TICKS 100000
#define AIO_FUZZ_MEMORY_LIMIT ((size_t)256 << 20) // base/strbuf.h repeats it
#endif

// AIO_DEBUG: assertions inside the VM, and before every instruction a check of the frame's stack
// depth and block count against what the compiler's flow pass computed.  Build it when a change
// to the VM or the compiler misbehaves (it runs slower: a check per instruction).
#ifdef AIO_DEBUG
#define ASSERT(cond, msg)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, msg);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)
#else
#define ASSERT(cond, msg) ((void)0)
#endif

// Marks code the VM can never reach; reaching it is a bug in aio, not in the user's program.
#define UNREACHABLE()                                                                              \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: unreachable code reached\n", __FILE__, __LINE__);                  \
        abort();                                                                                   \
    } while (0)

// AIO_STRESS_GC: collect garbage before every allocation.  A missing root then shows up at once,
// at the allocation that forgot it, instead of once in a blue moon.  CI runs the whole suite so.

// AIO_LOG_GC: narrate every collection on stderr (bytes before and after, objects freed).

// How many bytes may be allocated before the first collection; after each one the threshold
// becomes four times what survived (clox's GC_HEAP_GROW_FACTOR is 2; 4 collects half as often
// for programs whose live data keeps growing, at the price of more memory).
#define GC_FIRST_THRESHOLD (8 * 1024 * 1024)
#define GC_GROW_FACTOR 4

// CPython's default recursion limit: the 1001st nested Python call raises RecursionError.
#define DEFAULT_RECURSION_LIMIT 1000

// Deepest static nesting of blocks in one function (CPython's CO_MAXBLOCKS): loops, try, with and
// finally bodies count one, except handlers two; one more is "too many statically nested blocks".
#define MAX_BLOCKS 20

// Native calls that re-enter the interpreter (a key= function, __eq__ called by a dict lookup...)
// use the C stack.  This bounds how deep such re-entry may go before it is a RecursionError.
#define MAX_NATIVE_DEPTH 3000

// How much C stack nested run() calls (Python code called from C: __init__, __eq__, key= ...)
// may use before that is a RecursionError, well inside the usual 8 MiB main-thread stack.
#define MAX_C_STACK (5 * 1024 * 1024)

// The most arguments one call may pass (CPython has no such limit; ours keeps frames simple).
#define MAX_ARGS 255

// Overflow-checked int64 arithmetic.  These are compiler builtins in GCC and Clang; they are the
// only extension the VM relies on.
#define ADD_OVERFLOWS(a, b, res) __builtin_add_overflow(a, b, res)
#define SUB_OVERFLOWS(a, b, res) __builtin_sub_overflow(a, b, res)
#define MUL_OVERFLOWS(a, b, res) __builtin_mul_overflow(a, b, res)

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#endif

#endif
