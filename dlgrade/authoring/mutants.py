"""First-order mutants of an assignment's reference solution.

Operators come from cosmic-ray (arithmetic, comparison, unary, boolean, number and loop
operators, applied through its parso visitor) where it has them. Cosmic-ray works on
whole modules and has no operators for numerical idioms, so a few are written here as
cosmic-ray ``Operator`` subclasses: reductions swapped (``mean``/``sum``, ``max``/``min``),
a ``.transpose``/``.permute``/``.detach`` removed, a one-argument call unwrapped
(``torch.sqrt(x)`` → ``x``), one term of a sum dropped, two call arguments swapped (not
for calls symmetric in them, such as ``min`` or ``transpose``: that swap is equivalent by
construction), ``@`` turned into ``*``, an assignment deleted. Only lines inside the
solution regions (``### BEGIN SOLUTION`` … ``### END SOLUTION``) are mutated, and mutants
that do not compile or repeat another one's code are dropped.
"""

from __future__ import annotations

import difflib
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass

import parso
import parso.python.tree as pt
from cosmic_ray.ast import Visitor
from cosmic_ray.mutating import mutate_code
from cosmic_ray.operators.operator import Example, Operator
from cosmic_ray.plugins import get_operator
from nbformat import NotebookNode

from dlgrade.notebook import DELIMITERS, Delimiters, grade_id, is_solution, without_magics

COSMIC_RAY_OPERATORS = (
    "core/ReplaceBinaryOperator_Add_Sub",
    "core/ReplaceBinaryOperator_Sub_Add",
    "core/ReplaceBinaryOperator_Mul_Div",
    "core/ReplaceBinaryOperator_Div_Mul",
    "core/ReplaceBinaryOperator_Pow_Mul",
    "core/ReplaceBinaryOperator_FloorDiv_Div",
    "core/ReplaceBinaryOperator_Mod_FloorDiv",
    "core/ReplaceComparisonOperator_Lt_LtE",
    "core/ReplaceComparisonOperator_LtE_Lt",
    "core/ReplaceComparisonOperator_Gt_GtE",
    "core/ReplaceComparisonOperator_GtE_Gt",
    "core/ReplaceComparisonOperator_Lt_Gt",
    "core/ReplaceComparisonOperator_Gt_Lt",
    "core/ReplaceComparisonOperator_Eq_NotEq",
    "core/ReplaceComparisonOperator_NotEq_Eq",
    "core/ReplaceComparisonOperator_Is_IsNot",
    "core/ReplaceComparisonOperator_IsNot_Is",
    "core/ReplaceUnaryOperator_Delete_USub",
    "core/ReplaceUnaryOperator_Delete_Not",
    "core/NumberReplacer",
    "core/ReplaceTrueWithFalse",
    "core/ReplaceFalseWithTrue",
    "core/ReplaceAndWithOr",
    "core/ReplaceOrWithAnd",
    "core/ZeroIterationForLoop",
)

REDUCTION_SWAPS = {
    "mean": "sum",
    "sum": "mean",
    "max": "min",
    "min": "max",
    "amax": "amin",
    "amin": "amax",
    "argmax": "argmin",
    "argmin": "argmax",
    "softmax": "log_softmax",
    "log_softmax": "softmax",
    "tril": "triu",
    "triu": "tril",
    "cumsum": "cumprod",
}
REMOVABLE_METHODS = frozenset(
    {"detach", "transpose", "permute", "t", "T", "mT", "sqrt", "exp", "log", "clamp", "unsqueeze"}
)
UNWRAPPABLE_CALLS = frozenset(
    {"sqrt", "exp", "log", "log1p", "tanh", "sigmoid", "relu", "gelu", "abs", "softmax", "detach"}
)


def _expression(code: str, like) -> pt.PythonBaseNode:
    """`code` parsed as one expression node that takes the place (and prefix) of `like`."""
    node = parso.parse(code).children[0]
    node.get_first_leaf().prefix = like.get_first_leaf().prefix
    return node


def _trailer_name(node) -> str | None:
    """`name` for a `.name` trailer node, else None."""
    if node.type == "trailer" and node.children[0] == "." and len(node.children) == 2:
        return node.children[1].value
    return None


class SwapReduction(Operator):
    """`x.mean(dim)` → `x.sum(dim)`, `torch.max` → `torch.min`, and the like."""

    def mutation_positions(self, node):
        if isinstance(node, pt.Name) and node.value in REDUCTION_SWAPS:
            parent = node.parent
            if parent is not None and parent.type == "trailer" and parent.children[0] == ".":
                yield (node.start_pos, node.end_pos)

    def mutate(self, node, index):
        node.value = REDUCTION_SWAPS[node.value]
        return node

    @classmethod
    def examples(cls):
        return (Example("y = x.mean(-1)", "y = x.sum(-1)"),)


class RemoveMethod(Operator):
    """`x.transpose(-2, -1)` → `x`; `x.detach()` → `x`; `x.T` → `x`."""

    def mutation_positions(self, node):
        if node.type in ("atom_expr", "power"):
            for child in node.children[1:]:
                if _trailer_name(child) in REMOVABLE_METHODS:
                    yield (child.start_pos, child.end_pos)

    def mutate(self, node, index):
        spots = [
            i
            for i, child in enumerate(node.children[1:], start=1)
            if _trailer_name(child) in REMOVABLE_METHODS
        ]
        i = spots[index]
        after = node.children[i + 1] if i + 1 < len(node.children) else None
        drop = (
            2 if after is not None and after.type == "trailer" and after.children[0] == "(" else 1
        )
        del node.children[i : i + drop]
        return node

    @classmethod
    def examples(cls):
        return (Example("y = k.transpose(-2, -1) @ q", "y = k @ q"),)


class UnwrapCall(Operator):
    """`torch.sqrt(v)` → `(v)` for a one-argument call of a pointwise function."""

    def mutation_positions(self, node):
        if self._argument(node) is not None:
            yield (node.start_pos, node.end_pos)

    @staticmethod
    def _argument(node):
        if node.type not in ("atom_expr", "power") or len(node.children) < 2:
            return None
        call, name = node.children[-1], node.children[-2]
        fname = _trailer_name(name) if name.type == "trailer" else getattr(name, "value", None)
        if fname not in UNWRAPPABLE_CALLS or call.type != "trailer" or call.children[0] != "(":
            return None
        inner = call.children[1] if len(call.children) == 3 else None
        if inner is None or inner.type in ("arglist", "argument") or inner == ")":
            return None
        return inner

    def mutate(self, node, index):
        return _expression(f"({self._argument(node).get_code().strip()})", node)

    @classmethod
    def examples(cls):
        return (Example("y = torch.sqrt(v + 1)", "y = (v + 1)"),)


class DropTerm(Operator):
    """`a + b - c` → `b - c`, `a - c`, `a + b`: one term of a sum left out."""

    def mutation_positions(self, node):
        if node.type == "arith_expr":
            for term in node.children[::2]:
                yield (term.start_pos, term.end_pos)

    def mutate(self, node, index):
        terms = node.children[::2]
        ops = node.children[1::2]
        kept_terms = [t for i, t in enumerate(terms) if i != index]
        kept_ops = [o for i, o in enumerate(ops) if i != max(index - 1, 0)]
        pieces = [kept_terms[0].get_code().strip()]
        for op, term in zip(kept_ops, kept_terms[1:]):
            pieces += [op.value, term.get_code().strip()]
        if index == 0 and ops[0].value == "-":
            pieces.insert(0, "-")
        return _expression(f"({' '.join(pieces)})", node)

    @classmethod
    def examples(cls):
        return (Example("y = a + b", "y = (b)"),)


SYMMETRIC_CALLS = frozenset(
    {
        *("min", "max", "minimum", "maximum", "fmin", "fmax", "transpose", "swapaxes"),
        *("swapdims", "add", "mul", "multiply", "eq", "ne", "hypot", "gcd", "lcm"),
        *("logaddexp", "isclose", "allclose", "equal", "dist", "dot"),
        *("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"),
    }
)


def _callee(trailer) -> str:
    """The name a call trailer applies to: `f` in `f(...)`, `g` in `x.g(...)`."""
    prev = trailer.get_previous_sibling()
    if isinstance(prev, pt.Name):
        return prev.value
    if prev is not None and prev.type == "trailer" and len(prev.children) == 2:
        name = prev.children[1]
        return name.value if isinstance(name, pt.Name) else ""
    return ""


class SwapArguments(Operator):
    """`f(a, b)` → `f(b, a)` for the first two positional arguments of a call, unless `f`
    is symmetric in them (`SYMMETRIC_CALLS`)."""

    def mutation_positions(self, node):
        if node.type == "arglist" and node.parent is not None and node.parent.type == "trailer":
            if _callee(node.parent) in SYMMETRIC_CALLS:
                return
            args = [c for c in node.children if c != ","]
            positional = [a for a in args if a.type != "argument"]
            if len(positional) >= 2 and args[0] is positional[0] and args[1] is positional[1]:
                if args[0].get_code().strip() != args[1].get_code().strip():
                    yield (node.start_pos, node.end_pos)

    def mutate(self, node, index):
        args = [c for c in node.children if c != ","]
        first, second = args[0].get_code().strip(), args[1].get_code().strip()
        rest = [a.get_code().strip() for a in args[2:]]
        code = ", ".join([second, first, *rest])
        return parso.parse(f"f({code})").children[0].children[1].children[1]

    @classmethod
    def examples(cls):
        return (Example("y = f(a, b)", "y = f(b, a)"),)


class MatmulToMul(Operator):
    """`a @ b` → `a * b`."""

    def mutation_positions(self, node):
        if isinstance(node, pt.Operator) and node.value == "@" and node.parent.type == "term":
            yield (node.start_pos, node.end_pos)

    def mutate(self, node, index):
        node.value = "*"
        return node

    @classmethod
    def examples(cls):
        return (Example("y = a @ b", "y = a * b"),)


class DeleteAssignment(Operator):
    """`x = f(x)` or `x += y` → `pass`: one statement of the solution left out."""

    def mutation_positions(self, node):
        if node.type == "expr_stmt":
            yield (node.start_pos, node.end_pos)

    def mutate(self, node, index):
        return pt.Keyword("pass", node.start_pos, prefix=node.get_first_leaf().prefix)

    @classmethod
    def examples(cls):
        return (Example("x = 1", "pass"),)


OWN_OPERATORS: dict[str, type[Operator]] = {
    "dl/SwapReduction": SwapReduction,
    "dl/RemoveMethod": RemoveMethod,
    "dl/UnwrapCall": UnwrapCall,
    "dl/DropTerm": DropTerm,
    "dl/SwapArguments": SwapArguments,
    "dl/MatmulToMul": MatmulToMul,
    "dl/DeleteAssignment": DeleteAssignment,
}


def operator_for(name: str) -> Operator:
    cls = OWN_OPERATORS.get(name) or get_operator(name)
    return cls()


class _Positions(Visitor):
    """The start line of every occurrence of an operator, in the order cosmic-ray's
    MutationVisitor counts them (so occurrence i here is occurrence i there)."""

    def __init__(self, operator: Operator):
        self.operator = operator
        self.lines: list[int] = []

    def visit(self, node):
        for start, _ in self.operator.mutation_positions(node):
            self.lines.append(start[0])
        return node


@dataclass(frozen=True)
class Mutant:
    """One mutated solution cell: stable id, where, how, and the cell's new source."""

    id: str
    cell: str
    operator: str
    occurrence: int
    line: int
    source: str
    original: str

    def diff(self) -> str:
        return "\n".join(
            difflib.unified_diff(
                self.original.splitlines(),
                self.source.splitlines(),
                f"{self.cell} (reference)",
                f"{self.cell} (mutant)",
                n=1,
                lineterm="",
            )
        )


def solution_lines(source: str, delimiters: Delimiters = DELIMITERS) -> tuple[str, set[int]]:
    """The cell as a student writes it (marker lines removed) and the 1-based line
    numbers, in that text, that came from inside a solution region."""
    lines, inside, keep = [], False, set()
    markers = delimiters.begin_solution in source
    for raw in source.splitlines():
        if delimiters.begin_solution in raw:
            inside = True
            continue
        if delimiters.end_solution in raw:
            inside = False
            continue
        lines.append(raw)
        if inside or not markers:
            keep.add(len(lines))
    return "\n".join(lines), keep


def _compiles(code: str) -> bool:
    try:
        compile(without_magics(code), "<mutant>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def cell_mutants(gid: str, source: str, operators: tuple[str, ...]) -> Iterator[Mutant]:
    """Every distinct, compiling mutant of one solution cell's regions."""
    code, allowed = solution_lines(source)
    seen = {code}
    tree = parso.parse(code)
    for name in operators:
        positions = _Positions(operator_for(name))
        positions.walk(tree)
        for occurrence, line in enumerate(positions.lines):
            if line not in allowed:
                continue
            mutated = mutate_code(code, operator_for(name), occurrence)
            if mutated is None or mutated in seen or not _compiles(mutated):
                continue
            seen.add(mutated)
            digest = hashlib.sha256(f"{gid}\0{mutated}".encode()).hexdigest()[:10]
            yield Mutant(f"{gid}-{digest}", gid, name, occurrence, line, mutated, code)


def all_operators() -> tuple[str, ...]:
    return (*COSMIC_RAY_OPERATORS, *OWN_OPERATORS)


def sample_mutants(source_nb: NotebookNode, cap: int, seed: int) -> list[Mutant]:
    """Up to `cap` mutants, drawn reproducibly and spread over the solution cells."""
    per_cell: dict[str, list[Mutant]] = {}
    for cell in source_nb.cells:
        gid = grade_id(cell)
        if cell.cell_type == "code" and is_solution(cell) and gid:
            per_cell[gid] = list(cell_mutants(gid, cell.source, all_operators()))
    rng = random.Random(seed)
    for gid in sorted(per_cell):
        rng.shuffle(per_cell[gid])
    picked: list[Mutant] = []
    while len(picked) < cap and any(per_cell.values()):
        for gid in sorted(per_cell):
            if per_cell[gid] and len(picked) < cap:
                picked.append(per_cell[gid].pop())
    return sorted(picked, key=lambda m: m.id)
