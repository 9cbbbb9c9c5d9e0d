"""A minimal PDF 1.4 writer for text documents (the LOA-CFA).

    %PDF-1.4
    1 0 obj  Catalog  -> 2 0 R
    2 0 obj  Pages    -> Kids [page objects]
    3 0 obj  Font F1 (Helvetica), 4 0 obj Font F2 (Helvetica-Bold): standard 14 fonts,
             WinAnsiEncoding, nothing embedded
    then per page: a Page object and its content stream (BT ... Tj ... ET)
    xref table with each object's byte offset, trailer, startxref, %%EOF

Only what the LOA needs: lines of Latin-1 text, a bold style for headings, and automatic
page breaks (ISO 32000-1 §7.5 file structure, §9.4 text objects).
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_WIDTH = 612  # US Letter, points
PAGE_HEIGHT = 792
MARGIN = 56
LEADING = 1.45


@dataclass(frozen=True)
class Line:
    text: str
    size: float = 10.0
    bold: bool = False


def _escape(text: str) -> bytes:
    """A PDF literal string: backslash-escape ``\\ ( )``; characters outside Latin-1 become '?'."""
    raw = text.encode("latin-1", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _paginate(lines: list[Line]) -> list[list[tuple[Line, float]]]:
    """Place lines top-down; start a new page when the bottom margin is reached."""
    pages: list[list[tuple[Line, float]]] = [[]]
    y = PAGE_HEIGHT - MARGIN
    for line in lines:
        step = line.size * LEADING
        if y - step < MARGIN:
            pages.append([])
            y = PAGE_HEIGHT - MARGIN
        y -= step
        pages[-1].append((line, y))
    return pages


def _content(placed: list[tuple[Line, float]]) -> bytes:
    ops = []
    for line, y in placed:
        if not line.text:
            continue
        font = b"F2" if line.bold else b"F1"
        ops.append(
            b"BT /%s %.1f Tf %d %.2f Td (%s) Tj ET"
            % (font, line.size, MARGIN, y, _escape(line.text))
        )
    return b"\n".join(ops) + b"\n"


def render(lines: list[Line], *, title: str = "") -> bytes:
    """The PDF bytes for ``lines``."""
    pages = _paginate(lines)
    objects: list[bytes] = [b"", b""]  # catalog and page tree are filled in below
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    kids = []
    for placed in pages:
        stream = _content(placed)
        page_no = len(objects) + 1
        content_no = page_no + 1
        kids.append(page_no)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, content_no)
        )
        objects.append(b"<< /Length %d >>\nstream\n%sendstream" % (len(stream), stream))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    info_no = 0
    if title:
        objects.append(b"<< /Title (%s) /Producer (dxlocal) >>" % _escape(title))
        info_no = len(objects)
    return _assemble(objects, info_no)


def _assemble(objects: list[bytes], info_no: int) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info = b" /Info %d 0 R" % info_no if info_no else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info,
        xref_at,
    )
    return bytes(out)
