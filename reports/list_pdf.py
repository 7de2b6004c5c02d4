"""Lists printed as A4 tables with the vendored DejaVu font (Vietnamese prints the same on any machine), the header row
repeated on every page. Rows are drawn one by one as they come, so a long list is never held twice in memory."""

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT = "DejaVu"
LINE = 4.2  # mm per line of 8 pt text


class ListPdf(FPDF):
    """Call `start_table` after the title, then `row` (and `group` for a heading across the table) per line."""

    def __init__(self, headers: list[str], weights: list[float], *, footer_text: str, orientation: str = "L", size: float = 8):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        fonts = settings.BASE_DIR / "data" / "fonts"
        self.add_font(FONT, "", fonts / "DejaVuSans.ttf")
        self.add_font(FONT, "B", fonts / "DejaVuSans-Bold.ttf")
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(True, margin=14)
        self.headers, self.size, self.footer_text = headers, size, footer_text
        self.line_height = LINE * size / 8
        usable = self.w - self.l_margin - self.r_margin
        self.widths = [usable * w / sum(weights) for w in weights]
        self.in_table = False
        self._widths: dict[tuple, float] = {}
        self.set_lang("vi")
        self.alias_nb_pages("{pages}")  # room for a four-digit page count

    def header(self):
        if self.in_table:
            self._row(self.headers, bold=True)

    def footer(self):
        self.set_y(-11)
        self.set_font(FONT, "", 7)
        self.cell(0, 4, f"{self.footer_text} – {self.page_no()}/{{pages}}", align="C")

    def start_table(self) -> None:
        self.in_table = True
        self._row(self.headers, bold=True)

    def row(self, values) -> None:
        self._row(["" if v is None else str(v) for v in values])

    def group(self, text: str) -> None:
        """A bold line across the whole table (a category of people), kept with the row under it."""
        height = self.line_height + 1
        if self.will_page_break(2 * height):
            self.add_page()
        self.set_font(FONT, "B", self.size)
        self.cell(sum(self.widths), height, text, border=1, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _width(self, text: str) -> float:
        key = (self.font_style, self.font_size_pt, text)
        if key not in self._widths:
            self._widths[key] = self.get_string_width(text)
        return self._widths[key]

    def _wrap(self, width: float, text: str) -> list[str]:
        """The text cut into lines that fit the cell, at spaces (inside a word only when it is wider than the cell).
        Word widths are remembered: names and units repeat, and laying out with multi_cell is a hundred times slower."""
        room = width - 2 * self.c_margin
        if self._width(text) <= room:
            return [text]
        lines, current, used, space = [], "", 0.0, self._width(" ")
        for word in text.split():
            wide = self._width(word)
            if current and used + space + wide <= room:
                current, used = f"{current} {word}", used + space + wide
                continue
            if current:
                lines.append(current)
            while wide > room and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and self.get_string_width(word[:cut]) > room:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
                wide = self._width(word)
            current, used = word, wide
        return [*lines, current] if current else lines or [""]

    def _row(self, texts: list[str], bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", self.size)
        cells = [self._wrap(width, text) for width, text in zip(self.widths, texts, strict=True)]
        height = max(len(lines) for lines in cells) * self.line_height + 1
        if self.will_page_break(height):
            self.add_page()  # header() draws the header row again
            self.set_font(FONT, "B" if bold else "", self.size)
        x, y = self.l_margin, self.get_y()
        for width, lines in zip(self.widths, cells, strict=True):
            self.rect(x, y, width, height)
            for number, line in enumerate(lines):  # text() rather than cell(): ten times faster, and the lines already fit
                self.text(x + self.c_margin, y + 0.5 + (number + 0.5) * self.line_height + 0.3 * self.font_size, line)
            x += width
        self.set_xy(self.l_margin, y + height)
