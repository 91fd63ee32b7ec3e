"""Tokenizer for the transform expression language."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import ExpressionSyntaxError

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false"})

# Longest operators first so "<=" is not read as "<" then "=".
OPERATORS = ("==", "!=", "<>", "<=", ">=", "||", "=", "<", ">", "+", "-", "*", "/", "%")

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "`": "`"}


class Kind(Enum):
    NUMBER = "number"
    STRING = "string"
    NAME = "name"
    KEYWORD = "keyword"
    OPERATOR = "operator"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    DOT = "."
    END = "end"


@dataclass(frozen=True)
class Token:
    """One token; ``column`` is 1-based. ``quoted`` marks a backtick-quoted name."""

    kind: Kind
    text: str
    value: object
    column: int
    quoted: bool = False

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind is Kind.END:
            return "end of expression"
        return f"token {self.text!r}"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an END token; raises ExpressionSyntaxError."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        column = i + 1
        if char.isspace():
            i += 1
        elif char.isdigit():
            i = _number(text, i, tokens)
        elif char in "'\"":
            i = _string(text, i, tokens)
        elif char == "`":
            i = _quoted_name(text, i, tokens)
        elif char.isalpha() or char == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            if word.lower() in KEYWORDS:
                tokens.append(Token(Kind.KEYWORD, word, word.lower(), column))
            else:
                tokens.append(Token(Kind.NAME, word, word, column))
            i = j
        elif char in "(),.":
            kind = {"(": Kind.LPAREN, ")": Kind.RPAREN, ",": Kind.COMMA, ".": Kind.DOT}[char]
            tokens.append(Token(kind, char, char, column))
            i += 1
        else:
            operator = next((op for op in OPERATORS if text.startswith(op, i)), None)
            if operator is None:
                raise ExpressionSyntaxError(f"unexpected character {char!r}", column)
            tokens.append(Token(Kind.OPERATOR, operator, operator, column))
            i += len(operator)
    tokens.append(Token(Kind.END, "", None, n + 1))
    return tokens


def _number(text: str, start: int, tokens: list[Token]) -> int:
    i, n = start, len(text)
    while i < n and text[i].isdigit():
        i += 1
    is_float = False
    if i + 1 < n and text[i] == "." and text[i + 1].isdigit():
        is_float = True
        i += 1
        while i < n and text[i].isdigit():
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isdigit():
            is_float = True
            i = j
            while i < n and text[i].isdigit():
                i += 1
    if i < n and (text[i].isalpha() or text[i] == "_"):
        raise ExpressionSyntaxError(f"invalid number {text[start:i + 1]!r}", start + 1)
    literal = text[start:i]
    tokens.append(Token(Kind.NUMBER, literal, float(literal) if is_float else int(literal), start + 1))
    return i


def _delimited(text: str, start: int, what: str) -> tuple[str, int]:
    """Read a quoted run starting at ``start``; a doubled quote or a backslash escapes."""
    quote = text[start]
    out: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n:
            escaped = text[i + 1]
            if escaped not in _ESCAPES:
                raise ExpressionSyntaxError(f"unknown escape '\\{escaped}' in {what}", i + 1)
            out.append(_ESCAPES[escaped])
            i += 2
        elif char == quote:
            if i + 1 < n and text[i + 1] == quote:
                out.append(quote)
                i += 2
            else:
                return "".join(out), i + 1
        else:
            out.append(char)
            i += 1
    raise ExpressionSyntaxError(f"unterminated {what} starting", start + 1)


def _string(text: str, start: int, tokens: list[Token]) -> int:
    value, end = _delimited(text, start, "string")
    tokens.append(Token(Kind.STRING, text[start:end], value, start + 1))
    return end


def _quoted_name(text: str, start: int, tokens: list[Token]) -> int:
    value, end = _delimited(text, start, "quoted field name")
    if not value:
        raise ExpressionSyntaxError("empty quoted field name", start + 1)
    tokens.append(Token(Kind.NAME, text[start:end], value, start + 1, quoted=True))
    return end
