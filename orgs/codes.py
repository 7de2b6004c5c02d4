"""Electronic identifier codes of agencies (mã định danh điện tử), Decision 20/2020/QĐ-TTg.

The decision (Art. 4.1) allows digits, upper-case A-Z and dots; in practice, and in the
codes of the public-service portals, a unit's code has four groups H1H2H3.H4H5.H6H7.H8H9H10:
the last group is the level-1 body (a letter and two digits, H19 = Đồng Nai), then level 2,
3 and 4 from right to left, zeros where the unit is not at that level. See docs/identifier-code.md.
"""

import re

from django.utils.translation import gettext as _

CODE_RE = re.compile(r"^(?P<l4>[0-9A-Z]{3})\.(?P<l3>[0-9A-Z]{2})\.(?P<l2>[0-9A-Z]{2})\.(?P<l1>[A-K][0-9]{2})$")


def code_level(code: str) -> int:
    """1 to 4: the level of the unit the code names (the code must be valid)."""
    groups = CODE_RE.match(code).groupdict()
    if groups["l2"] == "00":
        return 1
    if groups["l3"] == "00":
        return 2
    return 3 if groups["l4"] == "000" else 4


def validate_identifier_code(code: str) -> str | None:
    """None when the code is well formed, else a message that says what is wrong."""
    match = CODE_RE.match(code)
    if not match:
        return _(
            "The identifier code “%(code)s” must look like 000.00.00.H19: four groups of 3, 2, 2 and 3 characters "
            "(digits or capital letters), the last a letter A-K and two digits."
        ) % {"code": code}
    groups = match.groupdict()
    filled = [groups["l2"] != "00", groups["l3"] != "00", groups["l4"] != "000"]
    if filled != sorted(filled, reverse=True):
        return _(
            "The identifier code “%(code)s” skips a level: a lower group can only be set when the groups to its right are."
        ) % {"code": code}
    return None
