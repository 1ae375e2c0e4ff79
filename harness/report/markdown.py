"""Render the report's blocks (``harness.report.document``) as GitHub Markdown; PNGs are linked files."""


def _cell(text):
    if isinstance(text, dict):  # a link {"text", "href"} or a link target {"text", "id"}
        inner = _cell(text["text"])
        return f"[{inner}]({text['href']})" if "href" in text else f'<a id="{text["id"]}"></a>{inner}'
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(headers, rows):
    """A pipe table (an empty header row renders as a two-column key/value table)."""
    out = ["| " + " | ".join(_cell(h) or " " for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def render(blocks):
    return "\n\n".join(_block(b) for b in blocks) + "\n"


def _block(b):
    kind = b[0]
    if kind == "h":
        return "#" * b[1] + " " + b[2]
    if kind == "p":
        return b[1]
    if kind == "list":
        return "\n".join(f"- {item}" for item in b[1])
    if kind == "table":
        return table(b[1], b[2])
    if kind == "img":
        return f"![{b[2]}]({b[1]})"
    if kind == "details":
        inner = "\n\n".join(_block(x) for x in b[2])
        return f"<details><summary>{b[1]}</summary>\n\n{inner}\n\n</details>"
    if kind == "pre":
        return "```\n" + b[1] + "\n```"
    if kind == "link":
        return f'<a id="{b[1]}"></a>' if not b[2] else f"[{b[2]}]({b[1]})"
    if kind == "grid":
        marks = {"pass": "✓", "known": "⚠", "fail": "✗", "error": "✗", "missing": "○", "skipped": "–"}
        return table(["component", *b[1]], [[c, *(f"[{marks[st]}]({href})" if st in marks else "" for st, href in cells)]
                                            for c, cells in b[2]])
    raise ValueError(f"markdown: unknown block kind {kind!r}")
