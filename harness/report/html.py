"""Render the report's blocks (``harness.report.document``) as one HTML page: the style sheet
inline, the PNGs beside it in the report directory, linked (relative paths: the page opens from
disk, and the committed report does not hold every image twice)."""
from html import escape
from pathlib import Path

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1.5em auto; max-width: 1500px;
       padding: 0 1em; color: #1b1f23; line-height: 1.4; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2em; padding-bottom: .15em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: 12.5px; }
th, td { border: 1px solid #d0d7de; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f0f3f6; position: sticky; top: 0; }
td { max-width: 46em; overflow-wrap: anywhere; } td.s { white-space: nowrap; }
tr.pass td { background: #eefbea; } tr.fail td { background: #fde2e1; } tr.error td { background: #f9c9c6; }
tr.known td { background: #fff5d6; }
td.g { text-align: center; padding: 2px 4px; } td.g a { color: inherit; text-decoration: none; display: block; }
td.g.pass { background: #c9efc1; } td.g.known { background: #ffe39a; } td.g.fail, td.g.error { background: #f59a94; }
td.g.missing { background: #e4d3f7; } td.g.skipped { background: #f4f4f4; color: #888; } table.grid th { font-weight: 600; font-size: 11.5px; } tr.missing td { background: #f3e8fd; } tr.skipped td { background: #f4f4f4; color: #666; }
img { max-width: 100%; border: 1px solid #ddd; margin: .4em 0; }
details { margin: .5em 0 1em; } summary { cursor: pointer; font-weight: 600; }
pre { background: #f6f8fa; padding: .6em; overflow-x: auto; font-size: 12px; }
nav a { margin-right: 1em; }
"""


def render(blocks, directory):
    """The page for ``blocks``; images are read from ``directory`` and embedded."""
    body = "\n".join(_block(b, Path(directory)) for b in blocks)
    nav = " ".join(f'<a href="#{_anchor(b[2])}">{escape(b[2])}</a>' for b in blocks if b[0] == "h" and b[1] == 2)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>scratch-parity report</title>\n<style>" + CSS + "</style></head>\n<body>\n"
            f"<nav>{nav}</nav>\n{body}\n</body></html>\n")


def _anchor(text):
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def _block(b, directory):
    kind = b[0]
    if kind == "h":
        return f'<h{b[1]} id="{_anchor(b[2])}">{escape(b[2])}</h{b[1]}>'
    if kind == "p":
        return f"<p>{_inline(b[1])}</p>"
    if kind == "list":
        return "<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in b[1]) + "</ul>"
    if kind == "table":
        return table(b[1], b[2], b[3])
    if kind == "img":
        if not (directory / b[1]).exists():
            raise ValueError(f"html: image {b[1]} is not in {directory}")
        return f'<figure><img alt="{escape(b[2])}" src="{escape(b[1])}"></figure>'
    if kind == "details":
        inner = "\n".join(_block(x, directory) for x in b[2])
        return f"<details><summary>{escape(b[1])}</summary>\n{inner}\n</details>"
    if kind == "pre":
        return f"<pre>{escape(b[1])}</pre>"
    if kind == "link":
        if not b[2]:  # an anchor only
            return f'<a id="{escape(b[1])}"></a>'
        return f'<p><a href="{escape(b[1])}">{escape(b[2])}</a></p>'
    if kind == "grid":
        return grid(b[1], b[2])
    raise ValueError(f"html: unknown block kind {kind!r}")


def _inline(text):
    """Escape, then turn the Markdown **bold** and `code` the documents use into tags."""
    out, parts = [], escape(text).split("`")
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<code>{part}</code>")
        else:
            bold = part.split("**")
            out.append("".join(f"<b>{p}</b>" if j % 2 else p for j, p in enumerate(bold)))
    return "".join(out)


GRID_MARK = {"pass": "✓", "known": "⚠", "fail": "✗", "error": "✗", "missing": "○", "skipped": "–", "": ""}


def grid(columns, rows):
    """The status grid: one coloured cell per component x column, each a link."""
    head = "<tr><th>component</th>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"
    body = []
    for component, cells in rows:
        tds = "".join(f'<td class="g {escape(st)}" title="{escape(component)} {escape(col)}: {escape(st)}">'
                      f'<a href="{escape(href)}">{GRID_MARK.get(st, "?")}</a></td>'
                      for col, (st, href) in zip(columns, cells))
        body.append(f'<tr><td class="s">{escape(component)}</td>{tds}</tr>')
    return f'<table class="grid"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def table(headers, rows, classes=None):
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr>" if any(headers) else ""
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{escape(classes[i])}"' if classes and classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(_td(c) for c in row) + "</tr>")
    return f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"


def _td(cell):
    """A cell; short ones (numbers, names, statuses) do not wrap, so long text gets the width. A
    dict is a link ({"text", "href"}) or a link target ({"text", "id"})."""
    if isinstance(cell, dict):
        if "href" in cell:
            return f'<td class="s"><a href="{escape(cell["href"])}">{escape(cell["text"])}</a></td>'
        return f'<td class="s" id="{escape(cell["id"])}">{escape(cell["text"])}</td>'
    text = str(cell)
    return f'<td class="s">{escape(text)}</td>' if len(text) <= 24 else f"<td>{escape(text)}</td>"
