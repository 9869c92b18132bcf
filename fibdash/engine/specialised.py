"""Compiled code specialised to a network's codes: each cell and head compiles only its own branches.

`network`'s functions branch on a network's cell and head codes (`if cell == SIMPLE_RNN:`). Compiled
as they read, every architecture would be one program, and the first training on a fresh machine
would compile every cell's and every head's equations, most of its time spent on branches it never
takes. Here each cell and head compiles a program of its own, and only its own branches:

- the drivers' compiled functions (`training`'s epochs, `inference`'s answers) are made once per cell
  and head, which they hold as constants (`@cache def _epoch(cell, head)` returns a `@compiled`
  function that reads them from its closure; Numba's disk cache keys each by their values);
- they pass the codes on to `network`'s `forward` and `backward`, which Numba then compiles once for
  each pair of values (it types a constant argument as a literal: `Literal[int](0)`);
- those are `@specialised`: a pass folds every comparison of such a literal argument with a constant
  (`cell == SIMPLE_RNN`) to True or False, and Numba then prunes the branches so decided before it
  types the rest. The functions they inline (inline="always": `head_forward`, `head_backward`) are
  folded with them, since their arguments are the caller's.

Numba prunes branches on constants (globals, closure variables) by itself, but not on a literal
argument's value; and inlining `forward` and `backward` where the codes are constants cost more than it
saved (Numba types an inlined body again at every call).

Several specialisations of one function share its index file in Numba's disk cache, and Numba saves an
entry by reading the index, numbering a new data file and writing both back: two processes saving
different specialisations at once (a sweep's points in parallel processes, each its own cell) could
each number theirs 1, and the index would then name the other's code. Their caches save one process
at a time (`_SavedInTurn`).
"""

from __future__ import annotations

import fcntl
import operator

from numba import njit
from numba.core import ir, types
from numba.core.caching import FunctionCache, IndexDataCacheFile
from numba.core.compiler import CompilerBase, DefaultPassBuilder
from numba.core.compiler_machinery import FunctionPass, register_pass
from numba.core.ir_utils import find_const, get_definition, guard
from numba.core.untyped_passes import InlineInlinables

_COMPARISONS = (operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge)


def _whole_number(state, variable: ir.Var) -> int | None:
    """The whole number `variable` holds in every call: a literal argument's value or a constant; or None."""
    definition = guard(get_definition, state.func_ir, variable)
    if isinstance(definition, ir.Arg):
        kind = state.args[definition.index]
        value = kind.literal_value if isinstance(kind, types.IntegerLiteral) else None
    else:
        value = guard(find_const, state.func_ir, variable)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@register_pass(mutates_CFG=True, analysis_only=False)
class FoldLiteralCodes(FunctionPass):
    """Replace each comparison of a literal whole-number argument with a constant by its answer."""

    _name = "fold_literal_codes"

    def __init__(self) -> None:
        FunctionPass.__init__(self)

    def run_pass(self, state) -> bool:
        folded = False
        for block in state.func_ir.blocks.values():
            for statement in block.find_insts(ir.Assign):
                expression = statement.value
                if not (isinstance(expression, ir.Expr) and expression.op == "binop"):
                    continue
                sides = (expression.lhs, expression.rhs)
                if expression.fn not in _COMPARISONS or not any(
                    isinstance(guard(get_definition, state.func_ir, side), ir.Arg) for side in sides
                ):
                    continue  # comparisons of constants alone Numba folds itself
                left, right = (_whole_number(state, side) for side in sides)
                if left is None or right is None:
                    continue
                statement.value = ir.Const(expression.fn(left, right), statement.loc)
                state.func_ir._definitions[statement.target.name] = [statement.value]
                folded = True
        return folded


class _Specialising(CompilerBase):
    """Numba's nopython pipeline with `FoldLiteralCodes` after inlining, before it prunes branches."""

    def define_pipelines(self):
        pipeline = DefaultPassBuilder.define_nopython_pipeline(self.state)
        pipeline.add_pass_after(FoldLiteralCodes, InlineInlinables)
        pipeline.finalize()
        return [pipeline]


class _IndexSavedInTurn(IndexDataCacheFile):
    """A function's index and data files in Numba's cache, saved by one process at a time."""

    def save(self, key, data) -> None:
        with open(f"{self._index_path}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released as the file closes
            super().save(key, data)


class _SavedInTurn(FunctionCache):
    """Numba's cache of a function, its entries saved one process at a time."""

    def __init__(self, py_func) -> None:
        super().__init__(py_func)
        self._cache_file = _IndexSavedInTurn(
            self._cache_path, self._impl.filename_base, self._impl.locator.get_source_stamp()
        )


def _cached(dispatcher):
    dispatcher._cache = _SavedInTurn(dispatcher.py_func)
    return dispatcher


def specialised(function):
    """For `network`'s functions that take the codes: `njit`, compiled once for each value of its literal
    arguments, their branches folded, and cached. Compiled code calls it; Python does not."""
    return _cached(
        njit(pipeline_class=_Specialising, no_cpython_wrapper=True, no_cfunc_wrapper=True)(function)
    )


def compiled(*, nogil: bool = False):
    """For the drivers' functions of one cell and head (closures holding the codes): `njit`, cached."""
    return lambda function: _cached(njit(nogil=nogil)(function))
