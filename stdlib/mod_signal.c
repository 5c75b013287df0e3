/* signal: Python-level signal handlers, and the C machinery under Ctrl-C.
 *
 * As in CPython's signalmodule.c, a signal never runs Python code from the C handler.  The handler
 * (on_signal) only marks the signal as tripped, sets vm_interrupted, and wakes the running event
 * loop (loop_signal_wakeup, a uv_async_send, which is async-signal-safe).  The interpreter then
 * runs the Python-level handlers (vm_run_signal_handlers) at its next backward jump or call, and
 * the event loop right after its wait, so a handler may raise, cancel tasks or schedule callbacks.
 *
 * At startup (signal_init_process, from main) SIGINT gets the C handler when its disposition is
 * SIG_DFL, as CPython does; its Python-level handler is then default_int_handler, which raises
 * KeyboardInterrupt.  SIGPIPE is ignored, as CPython does, so that writing to a pipe or socket
 * whose reader has gone raises BrokenPipeError instead of killing the process.  asyncio.Runner replaces it for the duration of run() (runners.aio).
 *
 * The module: signal(), getsignal(), raise_signal(), valid_signals(), default_int_handler, NSIG,
 * the timers alarm(), setitimer() and getitimer() (with ITIMER_* and ItimerError), and pause().
 * The SIG* numbers are members of the Signals enum and SIG_DFL / SIG_IGN of Handlers, made by
 * intenum.c: they print as their numbers and repr as <Signals.SIGINT: 2>, as CPython's.
 * vm->signal_handlers keeps SIG_DFL and SIG_IGN as the plain ints 0 and 1; getsignal() and
 * signal() give them back as Handlers members.  Handlers receive (signum, None): aio has no
 * frame objects.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "asyncio.h"
#include "hooks.h"
#include "modinit.h"

// Which signals arrived since their handlers last ran (written by on_signal).
static volatile sig_atomic_t tripped[NSIG];

static void on_signal(int signum) {
    int saved = errno;
    tripped[signum] = 1;
    vm_interrupted = 1;
    loop_signal_wakeup(); // end the event loop's wait, if one is waiting
    vm_wake_main_thread(); // and a lock wait of the main thread (sem_post: async-signal-safe)
    errno = saved;
}

static bool run_tripped_handlers(Vm *vm);

// Installs on_signal (SIG_DFL, SIG_IGN when handler is 0, 1).  SA_RESTART: aio's blocking reads
// are not prepared for EINTR (the event loop's wait and time.sleep are woken anyway).  Whoever
// installs on_signal also gives the VM the hook that runs the handlers (vm/hooks.h).
static int set_disposition(int signum, int handler) {
    vm_hooks.run_signal_handlers = run_tripped_handlers;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler == 0 ? SIG_DFL : handler == 1 ? SIG_IGN : on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    return sigaction(signum, &sa, NULL);
}

static bool has_c_handler(int signum) {
    struct sigaction sa;
    return sigaction(signum, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == on_signal;
}

// CPython's PyErr_CheckSignals: runs the handler of every tripped signal, lowest number first.
// When a handler raises, the signals not yet handled stay tripped for the next check.  The VM
// calls it through vm_hooks (vm/hooks.h), from vm_run_signal_handlers.
static bool run_tripped_handlers(Vm *vm) {
    for (int s = 1; s < NSIG; s++) {
        if (!tripped[s]) continue;
        tripped[s] = 0;
        Value h = vm->signal_handlers[s];
        bool ok = true;
        if (IS_EMPTY(h)) {
            // untouched since startup: only SIGINT has the C handler then (default_int_handler)
            if (s == SIGINT) ok = vm_raise_value(vm, OBJ_VAL(vm->KeyboardInterrupt));
        } else if (!IS_INT(h) && !IS_NONE(h)) {
            Value ignored;
            ok = vm_call2(vm, h, INT_VAL(s), NONE_VAL(), &ignored);
        }
        if (!ok) {
            for (int r = s + 1; r < NSIG; r++)
                if (tripped[r]) vm_interrupted = 1;
            return false;
        }
    }
    return true;
}

void signal_init_process(void) {
    struct sigaction sa;
    if (sigaction(SIGINT, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL)
        set_disposition(SIGINT, 2);
    signal(SIGPIPE, SIG_IGN);
}

// ---- the module ---------------------------------------------------------------------------------

static bool default_int_handler(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return vm_raise_value(vm, OBJ_VAL(vm->KeyboardInterrupt));
}

static bool signal_number(Vm *vm, Value v, int *out) {
    int64_t n;
    if (!mod_arg_index(vm, v, &n)) return false;
    if (n < 1 || n >= NSIG) return vm_raise(vm, vm->ValueError, "signal number out of range");
    *out = (int)n;
    return true;
}

// The Python-level handler of signum: what signal() stored, else what the OS has (SIG_DFL 0,
// SIG_IGN 1, None for a handler not installed from Python).
static Value current_handler(int signum, Value stored) {
    if (!IS_EMPTY(stored)) return stored;
    struct sigaction sa;
    if (sigaction(signum, NULL, &sa) != 0 || (sa.sa_flags & SA_SIGINFO)) return NONE_VAL();
    if (sa.sa_handler == SIG_DFL) return INT_VAL(0);
    if (sa.sa_handler == SIG_IGN) return INT_VAL(1);
    return NONE_VAL();
}

// SIG_DFL and SIG_IGN (stored as 0 and 1) as the members of signal.Handlers; other handlers as
// they are.
static Value handler_for_python(Vm *vm, Value handler) {
    if (!IS_INT(handler)) return handler;
    ObjClass *handlers = mod_find_class(vm, "signal", "Handlers");
    if (!handlers) {
        vm_clear_exception(vm);
        return handler;
    }
    return intenum_member(vm, handlers, AS_INT(handler));
}

static bool signal_getsignal(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int s = 0;
    if (!check_args(vm, "getsignal", nargs, kwnames, 1, 1) || !signal_number(vm, args[0], &s)) return false;
    *result = handler_for_python(vm, current_handler(s, vm->signal_handlers[s]));
    return true;
}

// 0 or 1 in *out when v is SIG_DFL or SIG_IGN: the int or the Handlers member.
static bool is_disposition(Vm *vm, Value v, int *out) {
    if (IS_INT(v)) {
        if (AS_INT(v) != 0 && AS_INT(v) != 1) return false;
        *out = (int)AS_INT(v);
        return true;
    }
    ObjClass *handlers = mod_find_class(vm, "signal", "Handlers");
    if (!handlers) {
        vm_clear_exception(vm);
        return false;
    }
    for (int d = 0; d <= 1; d++)
        if (value_is(v, intenum_member(vm, handlers, d))) {
            *out = d;
            return true;
        }
    return false;
}

static bool is_callable(Vm *vm, Value v) {
    return IS_FUNCTION(v) || IS_NATIVE(v) || IS_BOUND(v) || IS_CLASS(v) ||
           (IS_OBJ(v) && !IS_EMPTY(class_lookup(AS_OBJ(v)->cls, vm->s_call)));
}

// signal(signalnum, handler): installs handler (SIG_DFL, SIG_IGN or a callable taking
// (signum, frame)) and returns the previous one.
static bool signal_signal(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int s = 0;
    if (!check_args(vm, "signal", nargs, kwnames, 2, 2) || !signal_number(vm, args[0], &s)) return false;
    if (!vm_is_main_thread())
        return vm_raise(vm, vm->ValueError, "signal only works in main thread of the main interpreter");
    // The sandbox of fuzz builds lets a program change SIGINT only (asyncio.Runner does).
    if (s != SIGINT && !vm_sandbox_allows(vm, "signal.signal", NULL)) return false;
    Value handler = args[1];
    int disposition;
    if (is_disposition(vm, handler, &disposition)) handler = INT_VAL(disposition);
    else if (is_callable(vm, handler)) disposition = 2;
    else return vm_raise(vm, vm->TypeError, "signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object");
    // CPython runs the handlers already due before it changes one
    if (vm_interrupted && !vm_run_signal_handlers(vm)) return false;
    Value old = current_handler(s, vm->signal_handlers[s]);
    if (set_disposition(s, disposition) != 0) return os_raise_errno(vm, errno, EMPTY_VAL());
    vm->signal_handlers[s] = handler;
    *result = handler_for_python(vm, old);
    return true;
}

// raise_signal(signum): the handler runs before the call returns, as in CPython.
static bool signal_raise_signal(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int s = 0;
    if (!check_args(vm, "raise_signal", nargs, kwnames, 1, 1) || !signal_number(vm, args[0], &s) ||
        !vm_sandbox_allows(vm, "signal.raise_signal", NULL))
        return false;
    // Threads other than the main one block signals (vm/thread.c): theirs go to the process.
    if ((vm_is_main_thread() ? raise(s) : kill(getpid(), s)) != 0) return os_raise_errno(vm, errno, EMPTY_VAL());
    *result = NONE_VAL();
    return !vm_interrupted || vm_run_signal_handlers(vm);
}

// valid_signals(): the set of signal numbers this system has (Linux skips 32 and 33, which
// its threads library keeps for itself).
static bool signal_valid_signals(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "valid_signals", nargs, kwnames, 0, 0)) return false;
    sigset_t all;
    sigfillset(&all);
    ObjSet *set = set_new(vm, false);
    vm_push_root(vm, OBJ_VAL(set));
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&all, s) == 1 && !set_add_value(vm, set, INT_VAL(s))) {
            vm_pop_root(vm);
            return false;
        }
    vm_pop_root(vm);
    *result = OBJ_VAL(set);
    return true;
}

// ---- timers and waiting ------------------------------------------------------------------------

// alarm(seconds): SIGALRM after that many seconds (0 cancels); the seconds the previous alarm had
// left.
static bool signal_alarm(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t seconds;
    if (!check_args(vm, "alarm", nargs, kwnames, 1, 1) || !mod_arg_index(vm, args[0], &seconds) ||
        !vm_sandbox_allows(vm, "signal.alarm", NULL))
        return false;
    *result = INT_VAL(alarm((unsigned)seconds));
    return true;
}

// pause(): sleeps until a signal comes, then runs its handler (which may raise).
static bool signal_pause(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "pause", nargs, kwnames, 0, 0) || !vm_sandbox_allows(vm, "signal.pause", NULL))
        return false;
    pause();
    *result = NONE_VAL();
    return !vm_interrupted || vm_run_signal_handlers(vm);
}

// signal.ItimerError(errno, strerror(errno)), CPython's class named itimer_error.
static bool raise_itimer_error(Vm *vm, int err) {
    ObjClass *cls = mod_find_class(vm, "signal", "itimer_error");
    if (!cls) return false;
    Value ctor_args[2] = {INT_VAL(err), OBJ_VAL(str_from_c(vm, strerror(err)))};
    vm_push_root(vm, ctor_args[1]);
    Value exc;
    bool ok = vm_call(vm, OBJ_VAL(cls), ctor_args, 2, NULL, &exc);
    vm_pop_root(vm);
    return ok ? vm_raise_value(vm, exc) : false;
}

static double timeval_seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

// Seconds as a timeval, rounded up to the microsecond so that a tiny positive delay still arms.
static struct timeval seconds_timeval(double seconds) {
    double whole = floor(seconds);
    double micros = ceil((seconds - whole) * 1e6);
    struct timeval tv = {(time_t)whole, (suseconds_t)micros};
    if (tv.tv_usec >= 1000000) {
        tv.tv_sec++;
        tv.tv_usec -= 1000000;
    }
    return tv;
}

// (delay, interval) of a timer, as floats.
static bool itimer_tuple(Vm *vm, const struct itimerval *t, Value *result) {
    ObjTuple *pair = tuple_new(vm, 2);
    pair->items[0] = FLOAT_VAL(timeval_seconds(t->it_value));
    pair->items[1] = FLOAT_VAL(timeval_seconds(t->it_interval));
    *result = OBJ_VAL(pair);
    return true;
}

// setitimer(which, seconds, interval=0.0): arms (0 disarms) one of the process's interval
// timers; returns the old (delay, interval).
static bool signal_setitimer(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"which", "seconds", "interval", NULL};
    Value a[3];
    int64_t which;
    double seconds, interval = 0.0;
    if (!parse_args(vm, "setitimer", args, nargs, kwnames, names, 2, a) || !mod_arg_index(vm, a[0], &which) ||
        !mod_arg_double(vm, a[1], &seconds) || (!IS_EMPTY(a[2]) && !mod_arg_double(vm, a[2], &interval)) ||
        !vm_sandbox_allows(vm, "signal.setitimer", NULL))
        return false;
    struct itimerval new_timer = {seconds_timeval(interval), seconds_timeval(seconds)}, old;
    if (which != (int)which || setitimer((int)which, &new_timer, &old) != 0)
        return raise_itimer_error(vm, which != (int)which ? EINVAL : errno);
    return itimer_tuple(vm, &old, result);
}

static bool signal_getitimer(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t which;
    if (!check_args(vm, "getitimer", nargs, kwnames, 1, 1) || !mod_arg_index(vm, args[0], &which)) return false;
    struct itimerval now;
    if (which != (int)which || getitimer((int)which, &now) != 0)
        return raise_itimer_error(vm, which != (int)which ? EINVAL : errno);
    return itimer_tuple(vm, &now, result);
}

ObjModule *mod_signal_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "signal");
    vm_push_root(vm, OBJ_VAL(m));
    // CPython's Signals on Linux, in its order; the aliases (a value already named) come last.
    // SIGRTMIN and SIGRTMAX are not constants in glibc: the table is filled at run time.
    const IntEnumMember signals[] = {
        {"SIGHUP", SIGHUP},       {"SIGINT", SIGINT},     {"SIGQUIT", SIGQUIT},     {"SIGILL", SIGILL},
        {"SIGTRAP", SIGTRAP},     {"SIGABRT", SIGABRT},   {"SIGBUS", SIGBUS},       {"SIGFPE", SIGFPE},
        {"SIGKILL", SIGKILL},     {"SIGUSR1", SIGUSR1},   {"SIGSEGV", SIGSEGV},     {"SIGUSR2", SIGUSR2},
        {"SIGPIPE", SIGPIPE},     {"SIGALRM", SIGALRM},   {"SIGTERM", SIGTERM},     {"SIGSTKFLT", SIGSTKFLT},
        {"SIGCHLD", SIGCHLD},     {"SIGCONT", SIGCONT},   {"SIGSTOP", SIGSTOP},     {"SIGTSTP", SIGTSTP},
        {"SIGTTIN", SIGTTIN},     {"SIGTTOU", SIGTTOU},   {"SIGURG", SIGURG},       {"SIGXCPU", SIGXCPU},
        {"SIGXFSZ", SIGXFSZ},     {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF},   {"SIGWINCH", SIGWINCH},
        {"SIGIO", SIGIO},         {"SIGPWR", SIGPWR},     {"SIGSYS", SIGSYS},       {"SIGRTMIN", SIGRTMIN},
        {"SIGRTMAX", SIGRTMAX},   {"SIGIOT", SIGIOT},     {"SIGCLD", SIGCHLD},      {"SIGPOLL", SIGIO},
        {NULL, 0},
    };
    static const IntEnumMember dispositions[] = {{"SIG_DFL", 0}, {"SIG_IGN", 1}, {NULL, 0}};
    intenum_class(vm, m, "Signals", signals);
    intenum_class(vm, m, "Handlers", dispositions);
    mod_set(vm, m, "NSIG", INT_VAL(NSIG));
    mod_set(vm, m, "ITIMER_REAL", INT_VAL(ITIMER_REAL));
    mod_set(vm, m, "ITIMER_VIRTUAL", INT_VAL(ITIMER_VIRTUAL));
    mod_set(vm, m, "ITIMER_PROF", INT_VAL(ITIMER_PROF));
    ObjClass *itimer_error = mod_class(vm, m, "itimer_error", vm->OSError, OBJ_EXCEPTION);
    itimer_error->flags |= CLASS_EXCEPTION;
    itimer_error->flags &= ~CLASS_BUILTIN;
    mod_set(vm, m, "ItimerError", OBJ_VAL(itimer_error));
    static const MethodDef fns[] = {
        {"signal", signal_signal},
        {"getsignal", signal_getsignal},
        {"raise_signal", signal_raise_signal},
        {"valid_signals", signal_valid_signals},
        {"alarm", signal_alarm},
        {"pause", signal_pause},
        {"setitimer", signal_setitimer},
        {"getitimer", signal_getitimer},
        {"default_int_handler", default_int_handler},
        {NULL, NULL},
    };
    for (const MethodDef *f = fns; f->name; f++) define_native(vm, m->globals, f->name, f->fn);
    // SIGINT's handler since startup is default_int_handler: the very object, so that
    // `getsignal(SIGINT) is default_int_handler` holds (asyncio.Runner asks exactly that).
    if (IS_EMPTY(vm->signal_handlers[SIGINT]) && has_c_handler(SIGINT))
        vm->signal_handlers[SIGINT] = dict_get_str(m->globals, str_from_c(vm, "default_int_handler"));
    vm_pop_root(vm);
    return m;
}
