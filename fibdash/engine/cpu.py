"""What the engine asks of the CPU beside the equations: threads, cache lines, the floating-point flags and
one atomic counter. Nothing here knows a network; `training.py` and `inference.py` call it around
`network.py`'s equations. Every module of compiled functions imports it first, so that its compiled code
is kept where `compiled.register` says before any function is compiled.

    threads_for       how many threads for so many independent pieces of work
    LINE, padded      rows that different threads write, whole cache lines apart
    flush_denormals   denormal numbers flushed to zero, as TensorFlow runs; `restore` undoes it
    claim             the next piece of work, taken atomically by whichever thread asks first
"""

from __future__ import annotations

import platform

import numba
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from fibdash.engine import compiled

compiled.register()  # before the first compiled function below


def threads_for(tasks: int) -> int:
    """Threads for `tasks` independent pieces of work (members, windows): no more than there are."""
    return max(1, min(tasks, numba.get_num_threads()))


# Rows that different threads write are padded to whole cache lines of 64 bytes and one more, so
# that no two threads ever write into one line: on two cores such false sharing had a study's
# threads wait on each other, 1.3 times faster than one thread instead of 2.
LINE = 16  # float32 numbers in a 64-byte cache line


def padded(floats: int) -> int:
    """A row's length for `floats` numbers, in whole cache lines and a line apart from the next row."""
    return -(-floats // LINE) * LINE + LINE


# --- denormals: TensorFlow runs its kernels with denormal numbers flushed to zero (FTZ and DAZ, its
# `port::ScopedFlushDenormal`), so must we. It matters: under MinMax most inputs and targets are tiny,
# the gradients of the first steps are denormals or exactly zero, and Adam, which scales a step by the
# gradient's own size, turns a denormal gradient into a full step of the learning rate where Keras
# takes none. The compiled functions set the CPU's flags on entry and restore them on exit.

_MACHINE = platform.machine().lower()
_BYTE_POINTER = ir.IntType(8).as_pointer()


def _call(builder: ir.IRBuilder, name: str, result: ir.Type, arguments: list) -> ir.Value:
    function = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(result, [argument.type for argument in arguments]), name
    )
    return builder.call(function, arguments)


@intrinsic
def _float_flags(typingctx):
    """The CPU's floating-point control flags: x86's MXCSR, ARM's FPCR; 0 elsewhere."""

    def codegen(context, builder, signature, args):
        if _MACHINE in ("x86_64", "amd64"):
            slot = cgutils.alloca_once(builder, ir.IntType(32))
            _call(builder, "llvm.x86.sse.stmxcsr", ir.VoidType(), [builder.bitcast(slot, _BYTE_POINTER)])
            return builder.zext(builder.load(slot), ir.IntType(64))
        if _MACHINE in ("aarch64", "arm64"):
            return _call(builder, "llvm.aarch64.get.fpcr", ir.IntType(64), [])
        return ir.Constant(ir.IntType(64), 0)

    return types.int64(), codegen


@intrinsic
def _set_float_flags(typingctx, flags):
    def codegen(context, builder, signature, args):
        if _MACHINE in ("x86_64", "amd64"):
            slot = cgutils.alloca_once(builder, ir.IntType(32))
            builder.store(builder.trunc(args[0], ir.IntType(32)), slot)
            _call(builder, "llvm.x86.sse.ldmxcsr", ir.VoidType(), [builder.bitcast(slot, _BYTE_POINTER)])
        elif _MACHINE in ("aarch64", "arm64"):
            _call(builder, "llvm.aarch64.set.fpcr", ir.VoidType(), [args[0]])
        return context.get_dummy_value()

    return types.void(types.int64), codegen


# x86: flush-to-zero (bit 15) and denormals-are-zero (bit 6); ARM: flush-to-zero (bit 24) does both
_FLUSH = (1 << 24) if _MACHINE in ("aarch64", "arm64") else (1 << 15) | (1 << 6)


@njit(cache=True)
def flush_denormals():
    """Flush denormals to zero from here on, in this thread; the flags as they were, for `restore`."""
    flags = _float_flags()
    _set_float_flags(flags | _FLUSH)
    return flags


@njit(cache=True)
def restore(flags):
    _set_float_flags(flags)


@intrinsic
def claim(typingctx, counter):
    """counter[0] += 1 atomically, in one step for all threads; the value before: the next piece of work."""

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        slot = cgutils.get_item_pointer(
            context, builder, signature.args[0], array, [context.get_constant(types.intp, 0)]
        )
        return builder.atomic_rmw("add", slot, ir.Constant(ir.IntType(64), 1), "seq_cst")

    return types.int64(counter), codegen
