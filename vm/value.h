/* Value: what a variable, a stack slot or a container element holds.
 *
 * A 16-byte tagged union (clox's non-NaN-boxed form with a 64-bit int; Lua's TValue).  None,
 * bools, ints and floats live inside the Value; everything else is a pointer to a heap object
 * (vm/object.h).  NaN boxing is ruled out because ints are a full 64 bits.
 *
 * EMPTY is internal: it marks an unbound local ("cannot access local variable...") and an absent
 * result; programs never see it.  Nobody outside this header reads `tag` or `as` directly: use the
 * IS_ / AS_ / _VAL helpers.
 */
#ifndef AIO_VALUE_H
#define AIO_VALUE_H

#include "common.h"

typedef struct Obj Obj;

typedef enum { VAL_EMPTY, VAL_NONE, VAL_BOOL, VAL_INT, VAL_FLOAT, VAL_OBJ } ValueTag;

typedef struct {
    ValueTag tag;
    union {
        bool boolean;
        int64_t integer;
        double number;
        Obj *obj;
    } as;
} Value;

static inline bool IS_EMPTY(Value v) { return v.tag == VAL_EMPTY; }
static inline bool IS_NONE(Value v) { return v.tag == VAL_NONE; }
static inline bool IS_BOOL(Value v) { return v.tag == VAL_BOOL; }
static inline bool IS_INT(Value v) { return v.tag == VAL_INT; }
static inline bool IS_FLOAT(Value v) { return v.tag == VAL_FLOAT; }
static inline bool IS_OBJ(Value v) { return v.tag == VAL_OBJ; }

static inline bool AS_BOOL(Value v) { return v.as.boolean; }
static inline int64_t AS_INT(Value v) { return v.as.integer; }
static inline double AS_FLOAT(Value v) { return v.as.number; }
static inline Obj *AS_OBJ(Value v) { return v.as.obj; }

static inline Value EMPTY_VAL(void) { return (Value){VAL_EMPTY, {.integer = 0}}; }
static inline Value NONE_VAL(void) { return (Value){VAL_NONE, {.integer = 0}}; }
static inline Value BOOL_VAL(bool b) { return (Value){VAL_BOOL, {.integer = b ? 1 : 0}}; }
static inline Value INT_VAL(int64_t i) { return (Value){VAL_INT, {.integer = i}}; }
static inline Value FLOAT_VAL(double d) { return (Value){VAL_FLOAT, {.number = d}}; }
static inline Value OBJ_VAL(void *o) { return (Value){VAL_OBJ, {.obj = (Obj *)o}}; }

// bool is a subclass of int in Python: True + 1 == 2.  These read either as an int64.
static inline bool IS_INTLIKE(Value v) { return v.tag == VAL_INT || v.tag == VAL_BOOL; }
static inline int64_t AS_INTLIKE(Value v) { return v.as.integer; }
static inline bool IS_NUMBER(Value v) { return v.tag == VAL_INT || v.tag == VAL_BOOL || v.tag == VAL_FLOAT; }
static inline double AS_NUMBER(Value v) { return v.tag == VAL_FLOAT ? v.as.number : (double)v.as.integer; }

// Identity, as Python's `is`: same immediate value, or same object.
static inline bool value_is(Value a, Value b) {
    if (a.tag != b.tag) return false;
    if (a.tag == VAL_FLOAT) return a.as.number == b.as.number || (a.as.number != a.as.number && b.as.number != b.as.number);
    return a.as.integer == b.as.integer;
}

#endif
