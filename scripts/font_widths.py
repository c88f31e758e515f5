"""Print the advance widths (in 1/1000 em) of printable ASCII that ``reportgen.report.mdparse``
uses to size table columns: for each character the wider of Noto Sans CJK SC (the PDF's font)
and DejaVu Sans (what LibreOffice draws the DOCX's Latin text in where Microsoft YaHei is
missing), regular and bold. Run when the document fonts change; paste the output into mdparse.

    python scripts/font_widths.py [NOTO_REGULAR.ttc NOTO_BOLD.ttc DEJAVU.ttf DEJAVU_BOLD.ttf]
"""

from __future__ import annotations

import sys

from fontTools.ttLib import TTCollection, TTFont

DEFAULTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
CHARS = "".join(chr(c) for c in range(0x20, 0x7F))


def _font(path: str) -> TTFont:
    if path.endswith(".ttc"):
        fonts = TTCollection(path).fonts
        return next(f for f in fonts if "SC" in f["name"].getDebugName(1)) if len(fonts) > 1 else fonts[0]
    return TTFont(path)


def widths(path: str) -> list[int]:
    font = _font(path)
    cmap, hmtx, upem = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
    return [round(hmtx[cmap[ord(ch)]][0] * 1000 / upem) for ch in CHARS]


def main(argv: list[str]) -> None:
    noto_r, noto_b, dv_r, dv_b = argv or DEFAULTS
    for name, a, b in (("REGULAR", noto_r, dv_r), ("BOLD", noto_b, dv_b)):
        print(f"{name} = ({', '.join(str(max(x, y)) for x, y in zip(widths(a), widths(b)))})")


if __name__ == "__main__":
    main(sys.argv[1:])
