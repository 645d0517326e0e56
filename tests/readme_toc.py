"""The README's table of contents, made from its ``##`` and ``###`` headings (outside code blocks).

``python -m tests.readme_toc`` rewrites the block between ``<!-- toc -->`` and ``<!-- /toc -->``;
tests/test_readme.py fails when that block is not what this module makes.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- toc -->", "<!-- /toc -->"


def headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of every ``##``/``###`` heading outside fenced code blocks."""
    found: list[tuple[int, str]] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.fullmatch(r"(#{2,3}) (.+)", line)):
            found.append((len(match[1]), match[2].strip()))
    return found


def anchor(title: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^a-z0-9 _-]", "", title.lower()).replace(" ", "-")


def table_of_contents(text: str) -> str:
    """The Markdown list of every section (``##``) and subsection (``###``), with links."""
    lines = []
    for level, title in headings(text):
        if title == "Contents":
            continue
        indent = "  " * (level - 2)
        lines.append(f"{indent}- [{title.replace('`', '')}](#{anchor(title)})")
    return "\n".join(lines)


def current(text: str) -> str:
    """The README's table of contents as it stands (between the markers)."""
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def main() -> None:
    """Rewrite the README's table of contents."""
    text = README.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    README.write_text(f"{before}{START}\n{table_of_contents(text)}\n{END}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
