"""Where section 1 starts: on a page of its own after a one-page 结论, right after it otherwise.

The 结论 is written to fit one page, but its length is data (a seed-like file lists six causes
to re-measure). A forced page break after a 结论 that ran a few lines onto a second page leaves
that page three-quarters blank. So the break is decided once per document, by laying the 结论
out alone with the PDF's own CSS (WeasyPrint, a fraction of a second), and both writers follow
it: the PDF through the class ``newpage`` on section 1's heading, the DOCX through a page break.
"""

from __future__ import annotations

from reportgen.report.mdparse import ParsedDocument

NEW_PAGE = "newpage"  # class of a heading that starts a new page (report.css; docx.PAGE_BREAK_BEFORE)


def _span(body: list, start_id: str, end_id: str) -> tuple[int, int] | None:  # noqa: ANN001 - markdown-it tokens
    start = end = None
    for i, t in enumerate(body):
        if t.type == "heading_open" and t.attrGet("id") == start_id:
            start = i
        elif t.type == "heading_open" and t.attrGet("id") == end_id and start is not None:
            end = i
            break
    return (start, end) if start is not None and end is not None else None


def conclusion_fits_one_page(doc: ParsedDocument) -> bool:
    """Whether the 结论 (from its heading to section 1's) takes one page of the PDF's layout."""
    span = _span(doc.body, "conclusion", "s1")
    if span is None:
        return False
    try:
        import weasyprint
    except OSError:  # no pango: the DOCX alone can still be written, with the break
        return True
    from reportgen.report.html import markdown_to_html

    html = markdown_to_html(ParsedDocument(cover=[], body=doc.body[span[0]:span[1]]), title="结论", self_contained=False)
    return len(weasyprint.HTML(string=html).render().pages) == 1


def paginate(doc: ParsedDocument) -> ParsedDocument:
    """Mark section 1's heading to start a new page when the 结论 before it fits one page
    (a document without a 结论 page: unchanged)."""
    if conclusion_fits_one_page(doc):
        for t in doc.body:
            if t.type == "heading_open" and t.attrGet("id") == "s1":
                t.attrJoin("class", NEW_PAGE)
                break
    return doc
