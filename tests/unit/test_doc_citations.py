"""Citations in code, tests and docs lead somewhere a reader of this repository can follow.

Comments cite the project's own pages (``docs/behavior.md#connections``), AWS's documentation
or an RFC. Every Markdown file a source file names must exist in the repository (pages under
``docs/`` may be announced before they are written), and every ``<page>#<anchor>`` must name
an anchor that page defines. (Examples here are written without the suffix, so the
test does not read them as citations.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+")
MD_REF = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)(?![\w])(#[a-z0-9_-]+)?")
MD_LINK = re.compile(r"\]\(((?:[\w.-]+/)*[\w.-]+\.md)(#[a-z0-9_-]+)?\)")


def _sources() -> list[Path]:
    files = [p for d in ("src", "tests", "benchmarks") for p in (ROOT / d).rglob("*.py")]
    return [
        p
        for p in files
        if not any(part.startswith(".venv") for part in p.parts) and "results" not in p.parts
    ]


def _pages() -> list[Path]:
    return [*ROOT.glob("*.md"), *(ROOT / "docs").rglob("*.md"), *ROOT.glob("benchmarks/*.md")]


MARKDOWN: dict[str, list[Path]] = {}
for _dir, _subdirs, _files in os.walk(ROOT):
    _subdirs[:] = [d for d in _subdirs if not d.startswith(".") and d != "node_modules"]
    for _name in _files:
        if _name.endswith(".md"):
            MARKDOWN.setdefault(_name, []).append(Path(_dir, _name))


def _anchors(page: Path) -> set[str]:
    text = page.read_text()
    ids = set(re.findall(r'<a (?:id|name)="([a-z0-9_-]+)"', text))
    for heading in re.findall(r"^#+ (.+)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).strip().replace(" ", "-")
        ids.add(slug)
    return ids


def _resolve(name: str, base: Path) -> Path | None:
    for candidate in (base / name, ROOT / name, ROOT / "docs" / name):
        if candidate.is_file():
            return candidate
    if "/" not in name:  # a bare file name, as code that builds a path names it
        return next(iter(MARKDOWN.get(name, [])), None)
    return None


def _citations() -> list[tuple[str, str, str | None, Path]]:
    """(where, page, anchor, directory the page is relative to)."""
    out = []
    for path in _sources():
        text = URL.sub("", path.read_text())
        for m in MD_REF.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            anchor = m.group(2)[1:] if m.group(2) else None
            out.append((f"{path.relative_to(ROOT)}:{line}", m.group(1), anchor, ROOT))
    for page in _pages():
        text = page.read_text()
        for m in MD_LINK.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            anchor = m.group(2)[1:] if m.group(2) else None
            out.append((f"{page.relative_to(ROOT)}:{line}", m.group(1), anchor, page.parent))
    return out


CITATIONS = _citations()


def test_citations_were_found() -> None:
    assert any(page.endswith("behavior.md") and anchor for _, page, anchor, _ in CITATIONS)


@pytest.mark.parametrize(
    ("where", "page", "anchor", "base"), CITATIONS, ids=[c[0] for c in CITATIONS]
)
def test_citation_resolves(where: str, page: str, anchor: str | None, base: Path) -> None:
    target = _resolve(page, base)
    if target is None:
        assert page.startswith("docs/") or base.name == "docs", (
            f"{where} cites {page}, which is not in the repository"
        )
        return
    if anchor is not None:
        assert anchor in _anchors(target), f"{where}: {page} has no anchor #{anchor}"
