/* time: clocks, sleeping, and calendar conversions (struct_time, strftime, mktime, ...).
 *
 * Every clock reading and every sleep goes through runtime/clock.c, the one place time comes
 * from.  Calendar work uses the C library (localtime_r, gmtime_r, mktime, strftime) with the
 * argument checks and messages of CPython's Modules/timemodule.c.
 *
 * struct_time is a struct sequence (modinit.h): a tuple of 9 ints with named fields.  CPython's
 * extra attributes tm_zone and tm_gmtoff are not provided.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "modinit.h"

// No arguments: the clocks, "time.monotonic() takes no arguments (1 given)".
static bool no_args(Vm *vm, const char *name, int nargs, ObjTuple *kwnames) {
    if (!nargs && !kwnames) return true;
    char qualified[64];
    snprintf(qualified, sizeof qualified, "time.%s", name);
    return check_args(vm, qualified, nargs, kwnames, 0, 0);
}

// ---- clocks -------------------------------------------------------------------------------------

#define CLOCK_FN(name, expr)                                                                       \
    static bool time_##name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {    \
        if (!no_args(vm, #name, nargs, kwnames)) return false;                                     \
        *result = expr;                                                                            \
        return true;                                                                               \
    }

CLOCK_FN(time, FLOAT_VAL(clock_wall(vm)))
CLOCK_FN(time_ns, INT_VAL(clock_wall_ns(vm)))
CLOCK_FN(monotonic, FLOAT_VAL(clock_monotonic(vm)))
CLOCK_FN(monotonic_ns, INT_VAL(clock_monotonic_ns(vm)))
CLOCK_FN(perf_counter, FLOAT_VAL(clock_perf(vm)))
CLOCK_FN(perf_counter_ns, INT_VAL(clock_perf_ns(vm)))
CLOCK_FN(process_time, FLOAT_VAL(clock_process(vm)))
CLOCK_FN(process_time_ns, INT_VAL(clock_process_ns(vm)))

// A number of seconds as a float, with CPython's checks for NaN and range.
static bool seconds_arg(Vm *vm, Value v, double *out) {
    if (IS_INTLIKE(v)) {
        *out = (double)AS_INTLIKE(v);
    } else if (IS_FLOAT(v)) {
        *out = AS_FLOAT(v);
    } else {
        int64_t i;
        if (!mod_arg_index(vm, v, &i)) return false;
        *out = (double)i;
    }
    if (isnan(*out)) return vm_raise(vm, vm->ValueError, "Invalid value NaN (not a number)");
    return true;
}

static bool time_sleep(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "time.sleep() takes no keyword arguments");
    if (nargs != 1)
        return vm_raise(vm, vm->TypeError, "time.sleep() takes exactly one argument (%d given)",
                        nargs);
    // CPython makes the seconds int64 nanoseconds first: what does not fit is OverflowError, with
    // its words for an int and for a float, before the sign is looked at.
    if (IS_BIGINT(args[0]) ||
        (IS_INTLIKE(args[0]) && (AS_INTLIKE(args[0]) > 9223372036 || AS_INTLIKE(args[0]) < -9223372036)))
        return vm_raise(vm, vm->OverflowError, "timestamp too large to convert to C _PyTime_t");
    double secs;
    if (!seconds_arg(vm, args[0], &secs)) return false;
    if (!(secs * 1e9 >= -9223372036854775808.0 && secs * 1e9 < 9223372036854775808.0))
        return vm_raise(vm, vm->OverflowError, "timestamp out of range for platform time_t");
    if (secs < 0) return vm_raise(vm, vm->ValueError, "sleep length must be non-negative");
    *result = NONE_VAL();
    return clock_sleep(vm, secs);
}

// ---- struct_time --------------------------------------------------------------------------------

static ObjClass *struct_time_class(Vm *vm) { return mod_find_class(vm, "time", "struct_time"); }

// A struct_time from a C struct tm (Python's fields: month from 1, Monday is weekday 0).
static bool tm_to_value(Vm *vm, const struct tm *tm, Value *result) {
    ObjClass *cls = struct_time_class(vm);
    if (!cls) return false;
    ObjTuple *t = structseq_new(vm, cls, 9);
    const int64_t f[9] = {(int64_t)tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
                          tm->tm_hour, tm->tm_min, tm->tm_sec, (tm->tm_wday + 6) % 7,
                          tm->tm_yday + 1, tm->tm_isdst};
    for (int i = 0; i < 9; i++) t->items[i] = INT_VAL(f[i]);
    *result = OBJ_VAL(t);
    return true;
}

// The optional seconds argument of gmtime/localtime/ctime as a time_t (None: now), floored.
static bool time_t_arg(Vm *vm, Value *args, int nargs, time_t *out) {
    if (nargs == 0 || IS_NONE(args[0])) {
        *out = (time_t)floor(clock_wall(vm));
        return true;
    }
    double secs;
    if (IS_FLOAT(args[0])) {
        if (!seconds_arg(vm, args[0], &secs)) return false;
        secs = floor(secs);
    } else {
        int64_t i;
        if (!mod_arg_index(vm, args[0], &i)) return false;
        *out = (time_t)i;
        return true;
    }
    if (!(secs >= -9.2e18 && secs <= 9.2e18))
        return vm_raise(vm, vm->OverflowError, "timestamp out of range for platform time_t");
    *out = (time_t)secs;
    return true;
}

static bool convert_time(Vm *vm, const char *name, Value *args, int nargs, ObjTuple *kwnames,
                         bool local, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "time.%s() takes no keyword arguments", name);
    if (nargs > 1)
        return vm_raise(vm, vm->TypeError, "%s expected at most 1 argument, got %d", name, nargs);
    time_t t;
    if (!time_t_arg(vm, args, nargs, &t)) return false;
    struct tm tm;
    errno = 0;
    if (!(local ? localtime_r(&t, &tm) : gmtime_r(&t, &tm))) {
        if (errno == EOVERFLOW || errno == 0)
            return vm_raise(vm, vm->OverflowError, "timestamp out of range for platform time_t");
        return vm_raise(vm, vm->OSError, "[Errno %d] %s", errno, strerror(errno));
    }
    return tm_to_value(vm, &tm, result);
}

static bool time_gmtime(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return convert_time(vm, "gmtime", args, nargs, kwnames, false, result);
}

static bool time_localtime(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return convert_time(vm, "localtime", args, nargs, kwnames, true, result);
}

// A 9-tuple (or struct_time) as a struct tm, as CPython's gettmarg: Python's fields shifted to C's
// (month and yearday from 0, Sunday is weekday 0).
static bool tuple_to_tm(Vm *vm, const char *fname, Value v, struct tm *tm) {
    if (!IS_TUPLE(v)) return vm_raise(vm, vm->TypeError, "Tuple or struct_time argument required");
    ObjTuple *t = AS_TUPLE(v);
    if (t->count != 9)
        return vm_raise(vm, vm->TypeError, "%s(): illegal time tuple argument", fname);
    int64_t f[9];
    for (int i = 0; i < 9; i++) {
        if (IS_FLOAT(t->items[i]))
            return vm_raise(vm, vm->TypeError,
                            "'float' object cannot be interpreted as an integer");
        if (!mod_arg_index(vm, t->items[i], &f[i])) return false;
        if (f[i] < -2147483648LL || f[i] > 2147483647LL)
            return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C int");
    }
    memset(tm, 0, sizeof *tm);
    tm->tm_year = (int)(f[0] - 1900);
    tm->tm_mon = (int)f[1] - 1;
    tm->tm_mday = (int)f[2];
    tm->tm_hour = (int)f[3];
    tm->tm_min = (int)f[4];
    tm->tm_sec = (int)f[5];
    tm->tm_wday = (int)((f[6] + 1) % 7);
    tm->tm_yday = (int)f[7] - 1;
    tm->tm_isdst = (int)f[8];
    return true;
}

// The range checks strftime and asctime make (CPython's checktm); 0 in a day field means 1.
static bool check_tm(Vm *vm, struct tm *tm) {
    if (tm->tm_mon == -1) tm->tm_mon = 0;
    else if (tm->tm_mon < 0 || tm->tm_mon > 11)
        return vm_raise(vm, vm->ValueError, "month out of range");
    if (tm->tm_mday == 0) tm->tm_mday = 1;
    else if (tm->tm_mday < 0 || tm->tm_mday > 31)
        return vm_raise(vm, vm->ValueError, "day of month out of range");
    if (tm->tm_hour < 0 || tm->tm_hour > 23)
        return vm_raise(vm, vm->ValueError, "hour out of range");
    if (tm->tm_min < 0 || tm->tm_min > 59)
        return vm_raise(vm, vm->ValueError, "minute out of range");
    if (tm->tm_sec < 0 || tm->tm_sec > 61)
        return vm_raise(vm, vm->ValueError, "seconds out of range");
    if (tm->tm_wday < 0) return vm_raise(vm, vm->ValueError, "day of week out of range");
    if (tm->tm_yday == -1) tm->tm_yday = 0;
    else if (tm->tm_yday < 0 || tm->tm_yday > 365)
        return vm_raise(vm, vm->ValueError, "day of year out of range");
    return true;
}

// The struct tm of an optional tuple argument (absent or None: the local time now).
static bool tm_arg(Vm *vm, const char *fname, Value *args, int nargs, struct tm *tm) {
    if (nargs == 0 || IS_NONE(args[0])) {
        time_t now = (time_t)floor(clock_wall(vm));
        localtime_r(&now, tm);
        return true;
    }
    return tuple_to_tm(vm, fname, args[0], tm) && check_tm(vm, tm);
}

static bool time_mktime(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "time.mktime() takes no keyword arguments");
    if (nargs != 1)
        return vm_raise(vm, vm->TypeError, "time.mktime() takes exactly one argument (%d given)",
                        nargs);
    struct tm tm;
    if (!tuple_to_tm(vm, "mktime", args[0], &tm)) return false;
    tm.tm_wday = -1;  // mktime sets it on success, so -1 afterwards means failure
    time_t t = mktime(&tm);
    if (t == (time_t)-1 && tm.tm_wday == -1)
        return vm_raise(vm, vm->OverflowError, "mktime argument out of range");
    *result = FLOAT_VAL((double)t);
    return true;
}

// "Thu Jan  1 00:00:00 1970", as CPython formats it (not the C library's asctime).
static ObjStr *format_asctime(Vm *vm, const struct tm *tm) {
    static const char wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return str_printf(vm, "%s %s%3d %.2d:%.2d:%.2d %d", wday[tm->tm_wday], mon[tm->tm_mon],
                      tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, 1900 + tm->tm_year);
}

static bool time_asctime(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "time.asctime() takes no keyword arguments");
    if (nargs > 1)
        return vm_raise(vm, vm->TypeError, "asctime expected at most 1 argument, got %d", nargs);
    struct tm tm;
    if (!tm_arg(vm, "asctime", args, nargs, &tm)) return false;
    *result = OBJ_VAL(format_asctime(vm, &tm));
    return true;
}

static bool time_ctime(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "time.ctime() takes no keyword arguments");
    if (nargs > 1)
        return vm_raise(vm, vm->TypeError, "ctime expected at most 1 argument, got %d", nargs);
    time_t t;
    if (!time_t_arg(vm, args, nargs, &t)) return false;
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return vm_raise(vm, vm->OverflowError, "timestamp out of range for platform time_t");
    *result = OBJ_VAL(format_asctime(vm, &tm));
    return true;
}

static bool time_strftime(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "time.strftime() takes no keyword arguments");
    if (nargs < 1 || nargs > 2)
        return vm_raise(vm, vm->TypeError, "strftime expected at %s %d argument%s, got %d",
                        nargs < 1 ? "least" : "most", nargs < 1 ? 1 : 2, nargs < 1 ? "" : "s",
                        nargs);
    if (!IS_STR(args[0]))
        return vm_raise(vm, vm->TypeError, "strftime() argument 1 must be str, not %s",
                        arg_type_name(vm, args[0]));
    struct tm tm;
    if (!tm_arg(vm, "strftime", args + 1, nargs - 1, &tm)) return false;
    if (tm.tm_isdst < -1) tm.tm_isdst = -1;
    else if (tm.tm_isdst > 1) tm.tm_isdst = 1;
    ObjStr *fmt = AS_STR(args[0]);
    // strftime returns 0 both for "too small" and for an empty result: grow the buffer a few
    // times, then accept the empty answer (as CPython does).
    for (size_t size = 256 + fmt->length * 4; size <= 65536 + fmt->length * 256; size *= 4) {
        char *buf = malloc(size);
        size_t n = strftime(buf, size, fmt->chars, &tm);
        if (n > 0 || fmt->length == 0 || size > 4096) {
            *result = OBJ_VAL(str_new(vm, buf, n));
            free(buf);
            return true;
        }
        free(buf);
    }
    *result = OBJ_VAL(str_from_c(vm, ""));
    return true;
}

// timezone, altzone, daylight and tzname, from the local offsets in January and July (CPython's
// init_timezone).
static void add_timezone(Vm *vm, ObjModule *m) {
    tzset();
    const time_t year = (365 * 24 + 6) * 3600;
    time_t t = ((time_t)clock_wall(vm) / year) * year;
    struct tm jan, jul;
    localtime_r(&t, &jan);
    t += year / 2;
    localtime_r(&t, &jul);
    long janzone = -jan.tm_gmtoff, julzone = -jul.tm_gmtoff;
    const char *janname = jan.tm_zone ? jan.tm_zone : "", *julname = jul.tm_zone ? jul.tm_zone : "";
    bool southern = janzone < julzone;  // DST is in January south of the equator
    mod_set(vm, m, "timezone", INT_VAL(southern ? julzone : janzone));
    mod_set(vm, m, "altzone", INT_VAL(southern ? janzone : julzone));
    mod_set(vm, m, "daylight", INT_VAL(janzone != julzone));
    ObjTuple *names = tuple_new(vm, 2);
    vm_push_root(vm, OBJ_VAL(names));
    names->items[0] = OBJ_VAL(str_from_c(vm, southern ? julname : janname));
    names->items[1] = OBJ_VAL(str_from_c(vm, southern ? janname : julname));
    mod_set(vm, m, "tzname", OBJ_VAL(names));
    vm_pop_root(vm);
}

ObjModule *mod_time_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "time");
    vm_push_root(vm, OBJ_VAL(m));
    static const char *const fields[] = {"tm_year", "tm_mon",  "tm_mday", "tm_hour",  "tm_min",
                                         "tm_sec",  "tm_wday", "tm_yday", "tm_isdst", NULL};
    ObjClass *st = structseq_class(vm, m, "struct_time", fields, true, true);
    dict_set_cstr(vm, st->dict, "n_fields", INT_VAL(11));  // CPython counts tm_zone, tm_gmtoff
    add_timezone(vm, m);
    static const MethodDef fns[] = {
        {"time", time_time},
        {"time_ns", time_time_ns},
        {"monotonic", time_monotonic},
        {"monotonic_ns", time_monotonic_ns},
        {"perf_counter", time_perf_counter},
        {"perf_counter_ns", time_perf_counter_ns},
        {"process_time", time_process_time},
        {"process_time_ns", time_process_time_ns},
        {"sleep", time_sleep},
        {"gmtime", time_gmtime},
        {"localtime", time_localtime},
        {"mktime", time_mktime},
        {"asctime", time_asctime},
        {"ctime", time_ctime},
        {"strftime", time_strftime},
        {NULL, NULL},
    };
    for (const MethodDef *f = fns; f->name; f++) define_native(vm, m->globals, f->name, f->fn);
    vm_pop_root(vm);
    return m;
}
