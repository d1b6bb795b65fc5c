"""multi graders' `calculate_output`: arithmetic over sub-grader scores, parsed with `ast`, never `eval`."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping

__all__ = ["FormulaError", "evaluate", "parse"]

MAX_LENGTH = 1_000  # keeps the expression tree shallow enough to walk recursively
_FUNCTIONS: dict[str, Callable[..., float]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "exp": math.exp,
    "sqrt": math.sqrt,
    "log": math.log,
}
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
    ast.BitXor: lambda a, b: a**b,  # formulas write powers as `^`
}


class FormulaError(ValueError):
    """The formula does not parse, or uses something other than numbers, names, + - * / ^ and functions."""


def parse(formula: str) -> tuple[ast.Expression, set[str]]:
    """The checked expression and the variable names it uses."""
    if len(formula) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"cannot parse the formula ({exc.msg})") from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError("cannot parse the formula") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords:
                raise FormulaError("only min, max, abs, floor, ceil, exp, sqrt and log may be called")
        elif isinstance(node, ast.Name):
            if node.id not in _FUNCTIONS:
                names.add(node.id)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise FormulaError("only numbers may appear as constants")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise FormulaError(f"the operator {type(node.op).__name__} is not supported")
        elif not isinstance(
            node, ast.Expression | ast.UnaryOp | ast.USub | ast.UAdd | ast.Load | ast.operator
        ):
            raise FormulaError(f"{type(node).__name__} is not allowed in a formula")
    return tree, names


def evaluate(formula: str, values: Mapping[str, float]) -> float:
    """The formula's value; ZeroDivisionError, OverflowError and math domain errors propagate."""
    tree, _ = parse(formula)

    def run(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return run(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise FormulaError(f"unknown variable '{node.id}'")
            return float(values[node.id])
        if isinstance(node, ast.UnaryOp):
            operand = run(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = run(node.left), run(node.right)
            if isinstance(node.op, ast.Pow | ast.BitXor) and abs(right) > 64:
                raise OverflowError("exponent too large")
            return _BINARY[type(node.op)](left, right)
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        return float(_FUNCTIONS[node.func.id](*(run(arg) for arg in node.args)))

    return run(tree)
