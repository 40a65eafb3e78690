"""OS2autoproces rich text (HTML from its editor) as the plain text our columns hold.

The same rules as the Excel export's ``stripHTML`` (``<li>`` becomes ``* ``, other tags
break lines), plus decoding entities, which the export forgets (``&amp;`` stays there). So
a process read from the API and the same process read from the export give equal text.
"""

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "blockquote"}
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            self.parts.append("\n* ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS or tag == "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(value: str) -> str:
    """HTML or already-plain text -> plain text; never more than one blank line in a row."""
    if "<" not in value:
        text = html.unescape(value)
    else:
        parser = _Text()
        parser.feed(value)
        parser.close()
        text = "".join(parser.parts)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    joined = re.sub(r"(?m)^\*\n+(?=\S)", "* ", "\n".join(lines))  # "<li><p>x" -> "* x"
    return re.sub(r"\n{3,}", "\n\n", joined).strip()
