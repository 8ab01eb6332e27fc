"""Load a web page (HTML saved from a browser, MHTML, or HTML in any Chinese encoding) into a :class:`Document`.

Only the text and the tables are kept: scripts, styles and forms are dropped, ``&nbsp;`` and U+3000 are spaces,
``<br>`` and block elements end a paragraph. Tables nested in layout tables are taken at the innermost level,
so a page laid out with tables still yields its data tables. Nothing is fetched (no network, no entities).
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator

import charset_normalizer
import lxml.html
from lxml import etree

from giptemplate.published.model import DocTable, Document, Paragraph, Span, build_grid

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CHINESE_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "cp936": "gb18030",
}
_SKIP = frozenset({"script", "style", "noscript", "head", "select", "option", "textarea", "template", "iframe", "svg"})
_BLOCK = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "center",
        "dd",
        "dt",
        "dl",
        "tr",
        "form",
        "nav",
        "aside",
        "main",
        "hr",
        "caption",
    }
)
_SPACES = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
MAX_CELLS = 20000  # a table larger than this is not a report table (and bounds the grid's memory)


def decode_html(data: bytes) -> str:
    """The page's text: BOM, then the declared charset (GB2312/GBK read as GB18030), then detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii", "replace").lower()
        name = _CHINESE_ALIASES.get(name, name)
        try:
            return data.decode(name, errors="replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    encoding = _CHINESE_ALIASES.get(
        (best.encoding if best else "gb18030").lower(), best.encoding if best else "gb18030"
    )
    return data.decode(encoding, errors="replace")


def mhtml_html(data: bytes) -> bytes:
    """The first text/html part of an MHTML (web archive) file, decoded from its transfer encoding."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset()
                if charset:
                    charset = _CHINESE_ALIASES.get(charset.lower(), charset)
                    text = payload.decode(charset, errors="replace")
                    return b'<meta charset="utf-8">' + text.encode("utf-8")
                return payload
    return b""


def clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _cell_text(td: etree._Element) -> str:
    parts: list[str] = []
    for node in td.iter():
        if node.tag in _SKIP:
            continue
        if node.text and node.tag not in _SKIP:
            parts.append(node.text)
        if node is not td and node.tail:
            parts.append(node.tail)
    return clean("".join(parts).replace("\n", ""))


def _is_leaf_table(table: etree._Element) -> bool:
    return not any(True for _ in table.iterdescendants("table"))


def _table_rows(table: etree._Element) -> list[list[Span]]:
    rows: list[list[Span]] = []
    for tr in table.iter("tr"):
        cells: list[Span] = []
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            cells.append((_cell_text(td), _span(td.get("rowspan")), _span(td.get("colspan"))))
        rows.append(cells)
    return rows


def _span(value: str | None) -> int:
    digits = re.match(r"\s*(\d+)", value or "")
    return max(1, min(int(digits.group(1)), 1000)) if digits else 1


def _blocks(root: etree._Element) -> Iterator[Paragraph | list[list[Span]]]:
    line: list[str] = []

    def flush() -> Iterator[Paragraph]:
        text = clean("".join(line))
        line.clear()
        if text:
            yield Paragraph(text)

    def walk(el: etree._Element) -> Iterator[Paragraph | list[list[Span]]]:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in _SKIP or not tag:
            return
        if tag == "table" and _is_leaf_table(el):
            yield from flush()
            yield _table_rows(el)
            return
        block = tag in _BLOCK or tag == "table" or tag == "td"
        if block or tag == "br":
            yield from flush()
        if el.text:
            line.append(el.text)
        for child in el:
            yield from walk(child)
            if child.tail:
                line.append(child.tail)
        if block:
            yield from flush()

    yield from walk(root)
    yield from flush()


def _title(root: etree._Element) -> str:
    for xpath in ('//meta[@name="ArticleTitle"]/@content', '//meta[@property="og:title"]/@content', "//title/text()"):
        found = root.xpath(xpath)
        if isinstance(found, list) and found:
            return clean(str(found[0]))
    return ""


MIN_DATA_ROWS = 4


def _report_root(body: etree._Element) -> etree._Element:
    """The element that holds the report: the nearest common ancestor of the data tables, widened until it holds
    the text around them (a page's menus, header and footer stay outside). The whole body when in doubt."""
    tables = [t for t in body.iter("table") if _is_leaf_table(t) and len(t.findall(".//tr")) >= MIN_DATA_ROWS]
    if not tables:
        return body
    chains = [list(t.iterancestors()) for t in tables]
    common = next((a for a in chains[0] if all(a in chain for chain in chains[1:])), body)
    # Widen until the element also holds narrative text about as long as its tables' text (the article).
    element = common
    in_tables = sum(_text_length(t) for t in tables)
    while element is not body:
        if _text_length(element) - in_tables >= max(200, in_tables // 4):
            return element
        parent = element.getparent()
        if parent is None:
            break
        element = parent
    return body


def _text_length(element: etree._Element) -> int:
    return sum(len(t) for t in element.itertext() if isinstance(t, str))


def load_html(data: bytes) -> Document:
    """Parse a page's bytes (already admitted: bounded in size) into paragraphs and tables."""
    if b"multipart/related" in data[:2048].lower() and b"mime-version:" in data[:2048].lower():
        data = mhtml_html(data)
    text = decode_html(data)
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    root = lxml.html.document_fromstring(text, parser=parser) if text.strip() else None
    document = Document("html")
    if root is None:
        return document
    document.title = _title(root)
    body = root.find("body")
    index = 0
    for block in _blocks(_report_root(body if body is not None else root)):
        if isinstance(block, Paragraph):
            document.blocks.append(block)
        elif sum(len(r) for r in block) <= MAX_CELLS:
            index += 1
            document.blocks.append(DocTable(index, build_grid(block)))
    return document
