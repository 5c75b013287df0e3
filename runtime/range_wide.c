/* Ranges beyond int64: the range operations on GMP integers (see range_wide.h).
 *
 * Every function here accepts any range, wide or not, reading its bounds as int Values; range.c
 * only calls them for wide ones, where its int64 arithmetic does not apply.  Results are ints in
 * their canonical form (immediate when they fit), so range(2**64, 2**64 + 3)[0] - 2**64 is a
 * plain 0.
 */
#include "range_wide.h"

#include "container.h"

ObjRange *range_from_ints(Vm *vm, Value start, Value stop, Value step) {
    if (IS_INTLIKE(start) && IS_INTLIKE(stop) && IS_INTLIKE(step))
        return range_new(vm, AS_INTLIKE(start), AS_INTLIKE(stop), AS_INTLIKE(step));
    return range_wide_new(vm, start, stop, step);
}

ObjRange *range_wide_new(Vm *vm, Value start, Value stop, Value step) {
    Value items[3] = {start, stop, step};
    for (int i = 0; i < 3; i++)
        if (IS_BOOL(items[i])) items[i] = INT_VAL(AS_INTLIKE(items[i]));
    ObjTuple *t = tuple_from_values(vm, items, 3);
    vm_push_root(vm, OBJ_VAL(t));
    ObjRange *r = range_new(vm, 0, 0, 1);
    vm_pop_root(vm);
    r->wide = t;
    return r;
}

void range_bounds(const ObjRange *r, Value out[3]) {
    if (r->wide) {
        for (int i = 0; i < 3; i++) out[i] = r->wide->items[i];
        return;
    }
    out[0] = INT_VAL(r->start);
    out[1] = INT_VAL(r->stop);
    out[2] = INT_VAL(r->step);
}

// The bounds as read-only mpz views (valid while r and the scratch space live).
typedef struct {
    Value values[3];
    BigScratch scratch[3];
    mpz_srcptr start, stop, step;
} Bounds;

static void load_bounds(const ObjRange *r, Bounds *b) {
    range_bounds(r, b->values);
    b->start = big_view(b->values[0], &b->scratch[0]);
    b->stop = big_view(b->values[1], &b->scratch[1]);
    b->step = big_view(b->values[2], &b->scratch[2]);
}

void range_length_mpz(const ObjRange *r, mpz_t n) {
    Bounds b;
    load_bounds(r, &b);
    mpz_init(n);
    // (hi - lo - 1) // |step| + 1 items when the range runs toward stop, else none.
    if (mpz_sgn(b.step) > 0 && mpz_cmp(b.start, b.stop) < 0) {
        mpz_sub(n, b.stop, b.start);
        mpz_sub_ui(n, n, 1);
        mpz_fdiv_q(n, n, b.step);
        mpz_add_ui(n, n, 1);
    } else if (mpz_sgn(b.step) < 0 && mpz_cmp(b.start, b.stop) > 0) {
        mpz_t neg;
        mpz_init(neg);
        mpz_neg(neg, b.step);
        mpz_sub(n, b.start, b.stop);
        mpz_sub_ui(n, n, 1);
        mpz_fdiv_q(n, n, neg);
        mpz_add_ui(n, n, 1);
        mpz_clear(neg);
    }
}

bool range_len_value(Vm *vm, const ObjRange *r, int64_t *out) {
    mpz_t n;
    range_length_mpz(r, n);
    bool fits = mpz_fits_slong_p(n);
    if (fits) *out = mpz_get_si(n);
    mpz_clear(n);
    if (!fits) return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C ssize_t");
    return true;
}

Value range_item_value(Vm *vm, const ObjRange *r, mpz_srcptr i) {
    Bounds b;
    load_bounds(r, &b);
    mpz_t item;
    mpz_init(item);
    mpz_mul(item, i, b.step);
    mpz_add(item, item, b.start);
    return int_from_mpz(vm, item);
}

bool range_index_item(Vm *vm, const ObjRange *r, Value key, Value *out) {
    BigScratch s;
    mpz_t n, i;
    range_length_mpz(r, n);
    mpz_init_set(i, big_view(key, &s));
    if (mpz_sgn(i) < 0) mpz_add(i, i, n);
    bool inside = mpz_sgn(i) >= 0 && mpz_cmp(i, n) < 0;
    if (inside) *out = range_item_value(vm, r, i);
    mpz_clears(n, i, NULL);
    if (!inside) return vm_raise(vm, vm->IndexError, "range object index out of range");
    return true;
}

bool range_has_value(Vm *vm, const ObjRange *r, Value v, Value *position) {
    Bounds b;
    load_bounds(r, &b);
    BigScratch s;
    mpz_srcptr x = big_view(v, &s);
    bool up = mpz_sgn(b.step) > 0;
    // Inside [start, stop) going up, or (stop, start] going down?
    if (up ? (mpz_cmp(x, b.start) < 0 || mpz_cmp(x, b.stop) >= 0)
           : (mpz_cmp(x, b.start) > 0 || mpz_cmp(x, b.stop) <= 0))
        return false;
    mpz_t offset, q, rem;
    mpz_inits(offset, q, rem, NULL);
    mpz_sub(offset, x, b.start); // same sign as step here
    mpz_tdiv_qr(q, rem, offset, b.step);
    bool member = mpz_sgn(rem) == 0;
    mpz_clears(offset, rem, NULL);
    if (member && position) *position = int_from_mpz(vm, q);
    else mpz_clear(q);
    return member;
}

bool range_equal(const ObjRange *a, const ObjRange *b) {
    mpz_t na, nb;
    range_length_mpz(a, na);
    range_length_mpz(b, nb);
    int c = mpz_cmp(na, nb);
    bool empty = mpz_sgn(na) == 0, single = mpz_cmp_ui(na, 1) == 0;
    mpz_clears(na, nb, NULL);
    if (c != 0) return false;
    if (empty) return true;
    Bounds x, y;
    load_bounds(a, &x);
    load_bounds(b, &y);
    if (mpz_cmp(x.start, y.start) != 0) return false;
    return single || mpz_cmp(x.step, y.step) == 0;
}

// hash((len, start, step)) with None for the parts that do not matter, as CPython's.
bool range_hash_value(Vm *vm, const ObjRange *r, Value *out) {
    mpz_t n;
    range_length_mpz(r, n);
    bool empty = mpz_sgn(n) == 0, single = mpz_cmp_ui(n, 1) == 0;
    ObjTuple *t = tuple_new(vm, 3);
    vm_push_root(vm, OBJ_VAL(t));
    t->items[0] = int_from_mpz(vm, n);
    Value bounds[3];
    range_bounds(r, bounds);
    if (!empty) t->items[1] = bounds[0];
    if (!empty && !single) t->items[2] = bounds[2];
    uint64_t h;
    bool ok = hash_tuple(vm, t, &h);
    vm_pop_root(vm);
    if (ok) *out = INT_VAL((int64_t)h);
    return ok;
}

ObjStr *range_repr_value(Vm *vm, const ObjRange *r) {
    Value b[3];
    range_bounds(r, b);
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "range(");
    int n = IS_INT(b[2]) && AS_INT(b[2]) == 1 ? 2 : 3;
    for (int i = 0; i < n; i++) {
        ObjStr *s = vm_repr(vm, b[i]);
        if (!s) {
            sb_free(&sb);
            return NULL;
        }
        if (i) sb_puts(&sb, ", ");
        sb_append(&sb, s->chars, s->length);
    }
    sb_putc(&sb, ')');
    return str_from_buf(vm, &sb);
}
