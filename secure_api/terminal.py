"""Text from data, made safe to print on a terminal (the ``secure-api`` command's tables and messages).

Consumer and tier names, CSV cells, AWS error messages and what a probed endpoint answers are data: a
terminal would obey an escape sequence in them (recolour, move the cursor, rewrite the line with a
carriage return, set the window title, ring the bell). Every control or other non-printable character,
and the backslash that introduces the escapes, is shown escaped as in a Python string literal.
"""

from __future__ import annotations


def printable(value: object) -> str:
    """``str(value)`` with every non-printable character and ``\\`` escaped (``\\x1b``, ``\\r``, ``\\u202e``).

    Printable text, non-ASCII letters included, is unchanged.
    """
    text = str(value)
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(
        char if char.isprintable() and char != "\\" else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
