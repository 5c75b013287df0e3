/* Fuzz builds only (-DAIO_FUZZ): the budget that ends runaway programs and the sandbox.
 *
 * The fuzz harness (fuzz/harness.c) and the fuzz CLI run arbitrary programs, so each run gets a
 * number of ticks (vm->fuzz_ticks): backward jumps, calls, C-level iterations (vm_next) and
 * event-loop turns each spend one.  When they run out the VM raises RuntimeError, and keeps
 * raising at every further tick, so a program that catches the error still ends: each handler
 * that loops spends a tick and raises again, outward.  The GC (vm/gc.c) refuses allocations past
 * vm->fuzz_memory_limit as the system would refuse them, which ends in MemoryError.  In other
 * builds this file is empty and the hooks in vm.h compile to nothing.
 */
#include "vm.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>

#ifdef AIO_FUZZ
// AddressSanitizer's defaults for both fuzz binaries (ASAN_OPTIONS still overrides them):
// - a malloc the system cannot satisfy returns NULL, as without ASan: aio answers MemoryError;
// - freed memory is held back for reuse (the quarantine, which catches use after free) up to
//   64 MB instead of 256, and the allocator's free pages go back to the system every 10 ms.
//   ASan keeps each block size apart, and a freed block returns from the quarantine into its own
//   size only.  A loop that grows a value (`n = 3 * n`, `s = s + 'x'`) frees every block into a
//   size it never asks for again, so with the defaults the process kept all it had ever freed
//   (1.9 GB RSS for a program whose heap stayed under 20 MB: fuzz finding 24); now it stays within
//   a few hundred MB, about its heap limit (AIO_FUZZ_MEMORY_LIMIT) plus the quarantine.
const char *__asan_default_options(void) {
    return "allocator_may_return_null=1:quarantine_size_mb=64:allocator_release_to_os_interval_ms=10";
}

bool vm_fuzz_spent(Vm *vm) {
    vm->fuzz_ticks = -1; // stays spent without ever wrapping around
    return vm_raise(vm, vm->RuntimeError, "fuzz build: instruction budget spent");
}

bool vm_fuzz_vm_per_input;

bool vm_sandbox_allows(Vm *vm, const char *what, const char *path) {
    if (path && path[0] && !strchr(path, '/')) return true;
    return vm_raise(vm, vm->PermissionError, "fuzz build: %s is disabled%s", what,
                    path ? " outside the current directory" : "");
}
bool vm_fuzz_would_wait(Vm *vm, int fd, short events) {
    (void)vm;
    if (vm_other_threads_alive()) return false; // another thread may feed or drain it
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || (flags & O_NONBLOCK)) return false; // the call answers at once (EAGAIN, EBADF)
    struct pollfd pfd = {.fd = fd, .events = events};
    return poll(&pfd, 1, 0) == 0; // regular files are always ready; a bad fd reports POLLNVAL
}

bool vm_fuzz_refuse_wait(Vm *vm, const char *what) {
    return vm_raise(vm, vm->RuntimeError, "fuzz build: %s would wait forever", what);
}
#else
typedef int fuzz_limits_unused; // ISO C wants a translation unit to declare something
#endif
