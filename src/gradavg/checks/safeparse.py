"""Turn a loss typed as text into a SymPy expression, safely.

The text is parsed by Python's own parser into a syntax tree, and the tree is
walked here node by node. Only numbers, the named symbols, ``+ - * / **``,
unary minus, parentheses and calls of a short list of functions are accepted;
anything else (attribute access, other names, lambdas, subscripts, keyword
arguments, huge powers of constants) is refused with :class:`UnsafeExpression`
*before* SymPy sees anything. The SymPy expression is then built directly from
the accepted nodes: ``sympify`` and ``eval`` are never called on the text.

A batch cost (:func:`parse_cost`) is parsed by the same walk with one more kind
of call: an aggregate over the batch, ``mean``, ``sum``, ``prod``, ``max`` or
``min`` of one argument, inside which a bare name such as ``L`` or ``x`` stands
for that example's loss or field.
"""

from __future__ import annotations

import ast
import keyword

import sympy as sp

#: the functions a loss may call, with how many arguments each takes (None for two or more)
FUNCTIONS = {
    "exp": (sp.exp, 1),
    "log": (sp.log, 1),
    "sqrt": (sp.sqrt, 1),
    "tanh": (sp.tanh, 1),
    "sinh": (sp.sinh, 1),
    "cosh": (sp.cosh, 1),
    "sin": (sp.sin, 1),
    "cos": (sp.cos, 1),
    "atan": (sp.atan, 1),
    "sigmoid": (lambda t: 1 / (1 + sp.exp(-t)), 1),
    "softplus": (lambda t: sp.log(1 + sp.exp(t)), 1),
    "Abs": (sp.Abs, 1),
    "abs": (sp.Abs, 1),
    "Max": (sp.Max, None),
    "Min": (sp.Min, None),
    "max": (sp.Max, None),
    "min": (sp.Min, None),
}
#: aggregates over the batch that a cost may use, with how each combines the examples' terms
AGGREGATES = {
    "mean": lambda terms: sp.Add(*terms) / len(terms),
    "sum": lambda terms: sp.Add(*terms),
    "prod": lambda terms: sp.Mul(*terms),
    "max": lambda terms: sp.Max(*terms),
    "min": lambda terms: sp.Min(*terms),
}
#: most nodes built for a cost, counting each example an aggregate visits
MAX_BUILT = 20000
#: named constants
CONSTANTS = {"pi": sp.pi, "E": sp.E}
#: longest text accepted
MAX_LENGTH = 1000
#: most syntax-tree nodes accepted
MAX_NODES = 500
#: deepest nesting accepted
MAX_DEPTH = 50
#: largest magnitude of a number written in the text
MAX_LITERAL = 10**6
#: largest magnitude of a constant exponent
MAX_EXPONENT = 100
#: largest product of the exponents of nested powers
MAX_POWER_PRODUCT = 1000

_OPERATORS = {ast.Add: sp.Add, ast.Sub: lambda a, b: a - b, ast.Mult: sp.Mul, ast.Div: lambda a, b: a / b}


class UnsafeExpression(ValueError):
    """The text is not an expression this parser accepts; the message says what to change.

    Example:
        >>> try:
        ...     parse_names("w, __class__", "--params")
        ... except UnsafeExpression as error:
        ...     print(error)
        --params: '__class__' is not a plain name (letters, digits, underscores)
    """


def parse_names(text: str, option: str) -> list[str]:
    """Split a comma-separated list of symbol names, refusing anything that is not a plain name.

    Example:
        >>> parse_names("w, b", "--params")
        ['w', 'b']
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise UnsafeExpression(f"{option} is empty: give comma-separated names such as w,b")
    for name in names:
        if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii() or name.startswith("_"):
            raise UnsafeExpression(f"{option}: {name!r} is not a plain name (letters, digits, underscores)")
        if name in FUNCTIONS or name in CONSTANTS or name in AGGREGATES:
            raise UnsafeExpression(f"{option}: {name!r} is the name of a function or constant; pick another")
    if len(set(names)) != len(names):
        raise UnsafeExpression(f"{option} names a symbol twice: {text}")
    if len(names) > 20:
        raise UnsafeExpression(f"{option} names {len(names)} symbols; at most 20")
    return names


def parse_expression(text: str, symbols: dict[str, sp.Symbol], what: str = "loss") -> sp.Expr:
    """Parse ``text`` into a SymPy expression over ``symbols`` (name -> symbol), accepting only safe syntax.

    ``what`` names the text in refusals ("the answer is empty").

    Raises:
        UnsafeExpression: the text uses anything outside the accepted grammar,
            with a message naming what was refused.

    Example:
        >>> w, x = sp.symbols("w x")
        >>> parse_expression("sigmoid(w*x)**2", {"w": w, "x": x})
        (1 + exp(-w*x))**(-2)
        >>> parse_expression("w.__class__", {"w": w})
        Traceback (most recent call last):
        ...
        gradavg.checks.safeparse.UnsafeExpression: attribute access ('.') is not allowed
    """
    return _parse(text, _Builder(symbols, what))


def parse_cost(text: str, symbols: dict[str, sp.Expr], columns: dict[str, list[sp.Expr]]) -> sp.Expr:
    """Parse a batch cost typed as text, with aggregates over the batch.

    The grammar is :func:`parse_expression`'s, plus ``mean(...)``, ``sum(...)``,
    ``prod(...)``, ``max(...)`` and ``min(...)`` of one argument: the argument
    is built once per example, and inside it a name of ``columns`` stands for
    that example's entry (``L`` for its loss, ``x`` for its field ``x``).
    Aggregates nest (``mean((L - mean(L))**2)``); outside every aggregate a
    column name is refused, and single examples are named through ``symbols``
    (``L_1``, ``x_2``, ...). ``max``/``min`` of two or more arguments remain the
    elementwise maximum and minimum.

    Args:
        text: the cost.
        symbols: names usable anywhere (parameters, ``L_1``, ``x_1``, ...),
            each mapped to its expression.
        columns: names usable inside an aggregate, each mapped to one
            expression per example (all lists of the same length).

    Raises:
        UnsafeExpression: as :func:`parse_expression`, and for a column used
            outside an aggregate or a cost that expands past
            :data:`MAX_BUILT` nodes.

    Example:
        >>> w, x1, x2 = sp.symbols("w x_1 x_2")
        >>> losses = [(w - x1) ** 2, (w - x2) ** 2]
        >>> symbols = {"w": w, "L_1": losses[0], "L_2": losses[1], "x_1": x1, "x_2": x2}
        >>> parse_cost("prod(L)", symbols, {"L": losses, "x": [x1, x2]})
        (w - x_1)**2*(w - x_2)**2
        >>> parse_cost("sum(x - mean(x))", symbols, {"L": losses, "x": [x1, x2]})
        0
        >>> parse_cost("L", symbols, {"L": losses})
        Traceback (most recent call last):
        ...
        gradavg.checks.safeparse.UnsafeExpression: 'L' is one entry per example: use it inside mean(...), sum(...), prod(...), max(...) or min(...), or name one example's as L_1
    """
    sizes = {len(column) for column in columns.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError("columns must be non-empty lists of the same length (one entry per example)")
    return _parse(text, _Builder(symbols, "cost", columns))


def _parse(text: str, builder: "_Builder") -> sp.Expr:
    what = builder.what
    if not isinstance(text, str):
        raise TypeError(f"the {what} must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise UnsafeExpression(f"the {what} is {len(text)} characters long; at most {MAX_LENGTH}")
    if not text.strip():
        raise UnsafeExpression(f"the {what} is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise UnsafeExpression(f"not an arithmetic expression ({type(error).__name__}): {text!r}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise UnsafeExpression(f"the {what} has {count} syntax nodes; at most {MAX_NODES}")
    return builder.build(tree.body, depth=0, power=1)


class _Builder:
    def __init__(self, symbols: dict[str, sp.Expr], what: str, columns: dict[str, list[sp.Expr]] | None = None):
        self.symbols = dict(symbols)
        self.what = what
        self.columns = columns
        self.example: int | None = None  # the example an enclosing aggregate is visiting
        self.built = 0

    def build(self, node: ast.AST, depth: int, power: float) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise UnsafeExpression(f"the {self.what} is nested more than {MAX_DEPTH} levels deep")
        self.built += 1
        if self.built > MAX_BUILT:
            raise UnsafeExpression(f"the {self.what} expands to more than {MAX_BUILT} terms over the batch: "
                                   "use fewer examples (--n) or fewer nested aggregates")
        if isinstance(node, ast.Constant):
            return _number(node.value)
        if isinstance(node, ast.Name):
            if self.columns and node.id in self.columns:
                if self.example is None:
                    raise UnsafeExpression(
                        f"{node.id!r} is one entry per example: use it inside mean(...), sum(...), prod(...), max(...) "
                        f"or min(...), or name one example's as {node.id}_1")
                return self.columns[node.id][self.example]
            if node.id in self.symbols:
                return self.symbols[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id in FUNCTIONS:
                raise UnsafeExpression(f"{node.id!r} is a function: call it, as in {node.id}(...)")
            raise UnsafeExpression(
                f"unknown name {node.id!r}: "
                + ("name it in --params or --data, or use one of the functions" if self.what in ("loss", "cost")
                   else f"the {self.what} may use {', '.join(self.symbols) or 'no names'} and the functions")
                + f" {', '.join(sorted(FUNCTIONS))}"
            )
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1, power)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = _constant_exponent(node.right)
            product = power * max(1.0, abs(float(exponent)))
            if product > MAX_POWER_PRODUCT:
                raise UnsafeExpression(f"powers nested to a total exponent above {MAX_POWER_PRODUCT} are refused")
            return self.build(node.left, depth + 1, product) ** exponent
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left = self.build(node.left, depth + 1, power)
            right = self.build(node.right, depth + 1, power)
            return _OPERATORS[type(node.op)](left, right)
        if isinstance(node, ast.Call):
            return self.call(node, depth, power)
        raise UnsafeExpression(_refusal(node))

    def call(self, node: ast.Call, depth: int, power: float) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise UnsafeExpression(_refusal(node.func) if isinstance(node.func, ast.Attribute)
                                   else "only the listed functions may be called, by name")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise UnsafeExpression(f"{node.func.id}(...) takes plain arguments only (no keywords, no *args)")
        if node.func.id in AGGREGATES and len(node.args) == 1:
            if not self.columns:
                raise UnsafeExpression(f"{node.func.id}(...) of one argument aggregates over the batch: it belongs in a "
                                       "batch cost (--cost), not in one example's loss")
            return self.aggregate(node.func.id, node.args[0], depth, power)
        if node.func.id not in FUNCTIONS:
            raise UnsafeExpression(f"function {node.func.id!r} is not allowed; allowed: {', '.join(sorted(FUNCTIONS))}"
                                   + (f"; over the batch: {', '.join(AGGREGATES)}" if self.columns else ""))
        function, arity = FUNCTIONS[node.func.id]
        if (arity is not None and len(node.args) != arity) or (arity is None and len(node.args) < 2):
            wanted = f"{arity} argument(s)" if arity is not None else "at least 2 arguments"
            raise UnsafeExpression(f"{node.func.id}(...) takes {wanted}, got {len(node.args)}")
        return function(*[self.build(a, depth + 1, power) for a in node.args])


    def aggregate(self, name: str, argument: ast.AST, depth: int, power: float) -> sp.Expr:
        enclosing = self.example
        terms = []
        for example in range(len(next(iter(self.columns.values())))):
            self.example = example
            terms.append(self.build(argument, depth + 1, power))
        self.example = enclosing
        return AGGREGATES[name](terms)


def _number(value) -> sp.Expr:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UnsafeExpression(f"only numbers and names may appear, not {type(value).__name__} {value!r}")
    if not abs(value) <= MAX_LITERAL:
        raise UnsafeExpression(f"the number {value!r} is too large; numbers up to {MAX_LITERAL} are accepted")
    return sp.Integer(value) if isinstance(value, int) else sp.Rational(repr(value))


def _constant_exponent(node: ast.AST) -> sp.Rational:
    """An exponent must be a small constant: a number, minus a number, or a fraction of two numbers."""
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant):
        value = _number(node.value)
    elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
          and isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant)):
        denominator = _number(node.right.value)
        if denominator == 0:
            raise UnsafeExpression("division by zero in an exponent")
        value = _number(node.left.value) / denominator
    else:
        raise UnsafeExpression("an exponent must be a constant number such as 2, -1 or 1/2 (use exp(...) for a "
                               "variable exponent)")
    if abs(value) > MAX_EXPONENT:
        raise UnsafeExpression(f"the exponent {sign * value} is too large; at most {MAX_EXPONENT} in magnitude")
    return sign * value


def _refusal(node: ast.AST) -> str:
    words = {
        ast.Attribute: "attribute access ('.')",
        ast.Lambda: "lambda",
        ast.Subscript: "subscripts ('[...]')",
        ast.Compare: "comparisons",
        ast.BoolOp: "'and'/'or'",
        ast.IfExp: "conditional expressions",
        ast.NamedExpr: "assignment expressions (':=')",
        ast.Starred: "'*' unpacking",
    }
    for kind, word in words.items():
        if isinstance(node, kind):
            return f"{word} is not allowed"
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__} is not allowed; use + - * / **"
    if isinstance(node, ast.UnaryOp):
        return f"the unary operator {type(node.op).__name__} is not allowed; only minus"
    return f"{type(node).__name__} is not allowed in a loss or a cost"
