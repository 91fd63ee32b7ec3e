"""Recursive-descent parser for the expression language (grammar in TRANSFORMS.md).

Precedence, lowest first: ``or``; ``and``; ``not``; comparisons, ``[not] in``, ``is [not] null``
(non-associative); ``+ - ||``; ``* / %``; unary ``-``; literals, fields, calls and parentheses.
Nothing here or in the evaluator executes Python: names resolve only to record fields or to the
fixed function table.
"""

from __future__ import annotations

from .errors import ExpressionSyntaxError
from .functions import FUNCTIONS
from .lexer import Kind, Token, tokenize
from .syntax import Binary, Call, Expression, Field, InList, IsNull, Literal, Unary

_COMPARISONS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def parse_expression(text: str) -> Expression:
    """Parse ``text`` into an expression tree; raises ExpressionSyntaxError with the column."""
    if not isinstance(text, str):
        raise ExpressionSyntaxError(f"expected an expression string, got {type(text).__name__}", 1)
    if not text.strip():
        raise ExpressionSyntaxError("empty expression", 1)
    return _Parser(tokenize(text)).parse()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind is not Kind.END:
            self.pos += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        return self.current.kind is Kind.KEYWORD and self.current.value in words

    def expect(self, kind: Kind, what: str) -> Token:
        if self.current.kind is not kind:
            raise ExpressionSyntaxError(f"expected {what} but found {self.current.describe()}", self.current.column)
        return self.advance()

    def unexpected(self) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(f"unexpected {self.current.describe()}", self.current.column)

    def parse(self) -> Expression:
        node = self.parse_or()
        if self.current.kind is not Kind.END:
            raise self.unexpected()
        return node

    def parse_or(self) -> Expression:
        node = self.parse_and()
        while self.at_keyword("or"):
            token = self.advance()
            node = Binary("or", node, self.parse_and(), token.column)
        return node

    def parse_and(self) -> Expression:
        node = self.parse_not()
        while self.at_keyword("and"):
            token = self.advance()
            node = Binary("and", node, self.parse_not(), token.column)
        return node

    def parse_not(self) -> Expression:
        if self.at_keyword("not"):
            token = self.advance()
            return Unary("not", self.parse_not(), token.column)
        return self.parse_comparison()

    def parse_comparison(self) -> Expression:
        node = self.parse_additive()
        token = self.current
        if token.kind is Kind.OPERATOR and token.value in _COMPARISONS:
            self.advance()
            node = Binary(_COMPARISONS[token.text], node, self.parse_additive(), token.column)
        elif self.at_keyword("is"):
            self.advance()
            negated = self.at_keyword("not")
            if negated:
                self.advance()
            if not self.at_keyword("null"):
                raise ExpressionSyntaxError(
                    f"expected 'null' after 'is{' not' if negated else ''}' but found {self.current.describe()}",
                    self.current.column,
                )
            self.advance()
            node = IsNull(node, negated, token.column)
        elif self.at_keyword("in") or (self.at_keyword("not") and self._next_is_keyword("in")):
            negated = self.at_keyword("not")
            if negated:
                self.advance()
            self.advance()
            node = InList(node, self.parse_list(), negated, token.column)
        following = self.current
        if (following.kind is Kind.OPERATOR and following.value in _COMPARISONS) or self.at_keyword("is", "in"):
            raise ExpressionSyntaxError(
                f"unexpected {following.describe()}: comparisons cannot be chained, use 'and'", following.column
            )
        return node

    def _next_is_keyword(self, word: str) -> bool:
        token = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
        return token is not None and token.kind is Kind.KEYWORD and token.value == word

    def parse_list(self) -> tuple[Expression, ...]:
        self.expect(Kind.LPAREN, "'(' to start the 'in' list")
        items = [self.parse_additive()]
        while self.current.kind is Kind.COMMA:
            self.advance()
            items.append(self.parse_additive())
        self.expect(Kind.RPAREN, "',' or ')' in the 'in' list")
        return tuple(items)

    def parse_additive(self) -> Expression:
        node = self.parse_multiplicative()
        while self.current.kind is Kind.OPERATOR and self.current.value in ("+", "-", "||"):
            token = self.advance()
            node = Binary(token.text, node, self.parse_multiplicative(), token.column)
        return node

    def parse_multiplicative(self) -> Expression:
        node = self.parse_unary()
        while self.current.kind is Kind.OPERATOR and self.current.value in ("*", "/", "%"):
            token = self.advance()
            node = Binary(token.text, node, self.parse_unary(), token.column)
        return node

    def parse_unary(self) -> Expression:
        if self.current.kind is Kind.OPERATOR and self.current.value == "-":
            token = self.advance()
            operand = self.parse_unary()
            if isinstance(operand, Literal) and isinstance(operand.value, (int, float)) \
                    and not isinstance(operand.value, bool):
                return Literal(-operand.value, token.column)
            return Unary("neg", operand, token.column)
        if self.current.kind is Kind.OPERATOR and self.current.value == "+":
            self.advance()
            return self.parse_unary()
        return self.parse_primary()

    def parse_primary(self) -> Expression:
        token = self.current
        if token.kind in (Kind.NUMBER, Kind.STRING):
            self.advance()
            return Literal(token.value, token.column)
        if token.kind is Kind.KEYWORD and token.value in ("true", "false", "null"):
            self.advance()
            return Literal({"true": True, "false": False, "null": None}[token.value], token.column)
        if token.kind is Kind.LPAREN:
            self.advance()
            node = self.parse_or()
            if self.current.kind is not Kind.RPAREN:
                raise ExpressionSyntaxError(
                    f"expected ')' to close the '(' at column {token.column} but found {self.current.describe()}",
                    self.current.column,
                )
            self.advance()
            return node
        if token.kind is Kind.NAME:
            return self.parse_name()
        if token.kind is Kind.END:
            raise ExpressionSyntaxError("expected a value but found end of expression", token.column)
        raise self.unexpected()

    def parse_name(self) -> Expression:
        first = self.advance()
        segments = [first]
        while self.current.kind is Kind.DOT:
            self.advance()
            segment = self.current
            if segment.kind is Kind.KEYWORD:
                segment = Token(Kind.NAME, segment.text, segment.text, segment.column)
            elif segment.kind is not Kind.NAME:
                raise ExpressionSyntaxError(
                    f"expected a field name after '.' but found {segment.describe()}", segment.column
                )
            self.advance()
            segments.append(segment)
        for segment in segments:
            if not segment.quoted and segment.text.startswith("__"):
                raise ExpressionSyntaxError(
                    f"name {segment.text!r} is not allowed: expressions have no attribute access or Python "
                    "names (quote a real field name with backticks)",
                    segment.column,
                )
        if self.current.kind is Kind.LPAREN:
            return self.parse_call(segments)
        return Field(tuple(str(segment.value) for segment in segments), first.column)

    def parse_call(self, segments: list[Token]) -> Expression:
        name_token = segments[0]
        name = ".".join(segment.text for segment in segments)
        spec = FUNCTIONS.get(name.lower()) if len(segments) == 1 and not name_token.quoted else None
        if spec is None:
            raise ExpressionSyntaxError(
                f"unknown function {name!r} (available: {', '.join(sorted(FUNCTIONS))})", name_token.column
            )
        self.advance()
        args: list[Expression] = []
        if self.current.kind is not Kind.RPAREN:
            args.append(self.parse_or())
            while self.current.kind is Kind.COMMA:
                self.advance()
                args.append(self.parse_or())
        self.expect(Kind.RPAREN, f"',' or ')' in the call of {spec.name}()")
        _check_call(spec.name, args, name_token.column)
        return Call(spec.name, tuple(args), name_token.column)


def _check_call(name: str, args: list[Expression], column: int) -> None:
    spec = FUNCTIONS[name]
    count = len(args)
    if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
        if spec.max_args is None:
            wanted = f"at least {spec.min_args} argument{'s' if spec.min_args != 1 else ''}"
        elif spec.min_args == spec.max_args:
            wanted = f"{spec.min_args} argument{'s' if spec.min_args != 1 else ''}"
        else:
            wanted = f"{spec.min_args} to {spec.max_args} arguments"
        raise ExpressionSyntaxError(f"function {name}() takes {wanted}, got {count}", column)
    for position, kind in spec.literal_args.items():
        if position >= count:
            continue
        arg = args[position]
        value = arg.value if isinstance(arg, Literal) else None
        if not isinstance(arg, Literal) or type(value) is not kind:
            what = "an integer" if kind is int else "a string"
            raise ExpressionSyntaxError(
                f"argument {position + 1} of {name}() must be {what} literal", getattr(arg, "column", column)
            )
    if name == "substring":
        if args[1].value < 1:  # type: ignore[union-attr, operator]
            raise ExpressionSyntaxError("substring() start counts from 1", args[1].column)
        if count == 3 and args[2].value < 0:  # type: ignore[union-attr, operator]
            raise ExpressionSyntaxError("substring() length cannot be negative", args[2].column)
    if name == "replace" and args[1].value == "":  # type: ignore[union-attr]
        raise ExpressionSyntaxError("replace() needs a non-empty string to replace", args[1].column)
    if name == "round" and count == 2 and not -15 <= args[1].value <= 15:  # type: ignore[union-attr, operator]
        raise ExpressionSyntaxError("round() decimals must be between -15 and 15", args[1].column)
