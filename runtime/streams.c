/* The paths of asyncio's StreamReader that run for every chunk of data, in C: feed_data() (the
 * protocol hands it each chunk the transport received), _hand_out() (a read takes bytes out of
 * the buffer) and _data_future() (a read waits for more).
 *
 * stdlib/asyncio/streams.aio is the StreamReader, and the textbook: _feed_data_in_aio(),
 * _hand_out_in_aio() and _data_future_in_aio() are these three in aio, step for step, and the
 * class takes the C versions under the plain names because an echo round trip runs each of
 * them twice (bench/echo.aio).  As for the transport (transport.c), only the ordinary case is
 * done here: a reader whose state has the types streams.aio gives it, a plain bytes chunk, a
 * plain Future and event loop.  Any other case -- an assertion to fail, a bytearray chunk to
 * copy, a Future subclass, pausing or resuming the transport -- calls the aio method, which does it all.
 */
#include <string.h>

#include "asyncio.h"
#include "bytes_like.h"
#include "runtime.h"

// The reader's own attribute, EMPTY when absent or when its class may intercept attribute
// access (the caller then falls back to the aio method).
static Value reader_attribute(Vm *vm, Value self, AsyncioName name) {
    ObjClass *cls = AS_OBJ(self)->cls;
    if (cls->has_getattr || cls->has_data_descriptors || cls->has_setattr) return EMPTY_VAL();
    return dict_get_str(AS_INSTANCE(self)->dict, ASYNCIO_NAME(vm, name));
}

static void set_reader_attribute(Vm *vm, Value self, AsyncioName name, Value v) {
    dict_set_str(vm, AS_INSTANCE(self)->dict, ASYNCIO_NAME(vm, name), v);
}

static bool is_plain_bytes(Vm *vm, Value v) { return IS_BYTES(v) && AS_OBJ(v)->cls == vm->bytes_class; }
static bool is_false(Value v) { return IS_BOOL(v) && !AS_BOOL(v); }

static bool fall_back(Vm *vm, Value *args, int nargs, AsyncioName aio_method, Value *result) {
    return asyncio_call_attribute(vm, args[0], ASYNCIO_NAME(vm, aio_method), args + 1, nargs - 1, result);
}

// The unread bytes are b'' or one chunk as it came (a bytes object, handed out whole without a
// copy: the usual case), or a bytearray once two chunks had to be joined or a read took only the
// front of one: appending to it and deleting from its front are O(1) per byte, so many small
// reads out of a big buffer, or many small chunks into one, cost what they carry.
static bool is_plain_buffer(Vm *vm, Value v) {
    return is_plain_bytes(vm, v) || (IS_BYTEARRAY(v) && AS_OBJ(v)->cls == vm->bytearray_class);
}

static ByteSpan buffer_span(Value unread) {
    if (IS_BYTES(unread)) return (ByteSpan){AS_BYTES(unread)->data, AS_BYTES(unread)->length};
    ObjByteArray *b = AS_BYTEARRAY(unread);
    return (ByteSpan){bytearray_bytes(b), b->length};
}

// feed_data(data): the chunk joins the unread bytes (it becomes them when there were none: bytes
// never change, so no copy), and the coroutine waiting for data, if any, is woken.
static bool reader_feed_data(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 2 || kwnames || !IS_INSTANCE(args[0])) return fall_back(vm, args, nargs, AN_FEED_DATA_IN_AIO, result);
    Value self = args[0], data = args[1];
    Value ended = reader_attribute(vm, self, AN_ENDED), unread = reader_attribute(vm, self, AN_UNREAD);
    Value waiting = reader_attribute(vm, self, AN_WAKEUP), holding = reader_attribute(vm, self, AN_HOLDING);
    Value limit = reader_attribute(vm, self, AN_LIMIT), transport = reader_attribute(vm, self, AN_TRANSPORT);
    bool ordinary = is_false(ended) && is_plain_bytes(vm, data) && AS_BYTES(data)->length > 0 &&
                    is_plain_buffer(vm, unread) && (IS_NONE(waiting) || (IS_FUTURE(waiting) && AS_OBJ(waiting)->cls == vm->future_class)) &&
                    IS_BOOL(holding) && IS_INT(limit) && !IS_EMPTY(transport);
    if (!ordinary) return fall_back(vm, args, nargs, AN_FEED_DATA_IN_AIO, result);
    *result = NONE_VAL();
    ObjBytes *chunk = AS_BYTES(data);
    ByteSpan old = buffer_span(unread);
    Value joined = data;
    if (old.length > 0 && IS_BYTEARRAY(unread)) {
        if (!bytearray_append(vm, AS_BYTEARRAY(unread), chunk->data, chunk->length)) return false;
        joined = unread;
    } else if (old.length > 0) {
        // a second chunk: from now on the buffer grows in place
        ObjByteArray *both = bytearray_new(vm, old.data, old.length);
        vm_push_root(vm, OBJ_VAL(both));
        bool appended = bytearray_append(vm, both, chunk->data, chunk->length);
        vm_pop_root(vm);
        if (!appended) return false;
        joined = OBJ_VAL(both);
        set_reader_attribute(vm, self, AN_UNREAD, joined);
    } else {
        set_reader_attribute(vm, self, AN_UNREAD, joined);
    }
    if (!IS_NONE(waiting)) {
        set_reader_attribute(vm, self, AN_WAKEUP, NONE_VAL());
        if (AS_FUTURE(waiting)->state != FUT_CANCELLED && !future_set_result(vm, AS_FUTURE(waiting), NONE_VAL()))
            return false;
    }
    if (!IS_NONE(transport) && !AS_BOOL(holding) && (int64_t)buffer_span(joined).length > 2 * AS_INT(limit))
        return asyncio_call_attribute(vm, self, ASYNCIO_NAME(vm, AN_HOLD_TRANSPORT), NULL, 0, result);
    return true;
}

// _hand_out(count): the first count unread bytes as bytes (all of them, without a copy when
// they are one chunk and count covers them), taken out of the buffer.
static bool reader_hand_out(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 2 || kwnames || !IS_INSTANCE(args[0])) return fall_back(vm, args, nargs, AN_HAND_OUT_IN_AIO, result);
    Value self = args[0], count = args[1];
    Value unread = reader_attribute(vm, self, AN_UNREAD), holding = reader_attribute(vm, self, AN_HOLDING);
    // (a held transport is released by the aio version)
    if (!IS_INT(count) || AS_INT(count) < 0 || !is_plain_buffer(vm, unread) || !is_false(holding))
        return fall_back(vm, args, nargs, AN_HAND_OUT_IN_AIO, result);
    ByteSpan all = buffer_span(unread);
    size_t n = (size_t)AS_INT(count);
    if (n >= all.length && IS_BYTES(unread)) {
        set_reader_attribute(vm, self, AN_UNREAD, OBJ_VAL(bytes_new(vm, "", 0)));
        *result = unread;
        return true;
    }
    if (n > all.length) n = all.length;
    Value piece = OBJ_VAL(bytes_new(vm, all.data, n));
    vm_push_root(vm, piece);
    bool ok = true;
    if (n == all.length) {
        set_reader_attribute(vm, self, AN_UNREAD, OBJ_VAL(bytes_new(vm, "", 0)));
    } else if (IS_BYTES(unread)) {
        // the rest of a chunk: into a bytearray, where the next reads take it from the front
        all = buffer_span(unread); // (nothing moves, but unread is only reachable through self)
        Value rest = OBJ_VAL(bytearray_new(vm, all.data + n, all.length - n));
        set_reader_attribute(vm, self, AN_UNREAD, rest);
    } else {
        ok = bytearray_consume(vm, AS_BYTEARRAY(unread), n);
    }
    vm_pop_root(vm);
    *result = piece;
    return ok;
}

// _data_future(func_name): the Future the next feed_data(), feed_eof() or set_exception()
// completes, made on the reader's loop and kept as self._wakeup.
static bool reader_data_future(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 2 || kwnames || !IS_INSTANCE(args[0])) return fall_back(vm, args, nargs, AN_DATA_FUTURE_IN_AIO, result);
    Value self = args[0];
    Value waiting = reader_attribute(vm, self, AN_WAKEUP), ended = reader_attribute(vm, self, AN_ENDED);
    Value holding = reader_attribute(vm, self, AN_HOLDING), loop = reader_attribute(vm, self, AN_LOOP);
    // (a second reader's error, the assertion and releasing the transport are the aio version's)
    if (!IS_NONE(waiting) || !is_false(ended) || !is_false(holding) || !IS_LOOP(loop) ||
        AS_OBJ(loop)->cls != vm->loop_class || loop_closed(AS_LOOP(loop)))
        return fall_back(vm, args, nargs, AN_DATA_FUTURE_IN_AIO, result);
    Value future = OBJ_VAL(future_new(vm, vm->future_class, loop));
    vm_push_root(vm, future);
    set_reader_attribute(vm, self, AN_WAKEUP, future);
    vm_pop_root(vm);
    *result = future;
    return true;
}

void streams_define_functions(Vm *vm, ObjDict *module_globals) {
    asyncio_define_methods(vm, module_globals,
                           (MethodDef[]){{"_stream_reader_feed_data", reader_feed_data},
                                         {"_stream_reader_hand_out", reader_hand_out},
                                         {"_stream_reader_data_future", reader_data_future},
                                         {NULL, NULL}});
}
