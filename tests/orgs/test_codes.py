import pytest

from orgs.codes import code_level, validate_identifier_code


@pytest.mark.parametrize("code,level", [
    ("000.00.00.H19", 1), ("000.00.07.H19", 2), ("000.21.05.H19", 3), ("001.21.05.H19", 4), ("000.00.A1.H19", 2),
    ("000.00.18.G12", 2),
])
def test_valid_identifier_codes_and_their_level_R_17_1(code, level):
    assert validate_identifier_code(code) is None
    assert code_level(code) == level


@pytest.mark.parametrize("code", [
    "", "000.00.00", "00.00.00.H19", "000.00.00.h19", "000.00.00.H1", "000-00-00-H19", "000.00.00.Z19", "000.00.00.H19.1",
    "000.01.00.H19",  # level 3 set while level 2 is empty
    "001.00.05.H19",  # level 4 set while level 3 is empty
])
def test_malformed_identifier_codes_are_refused_with_a_reason_R_17_1(code):
    message = validate_identifier_code(code)
    assert message and code in message
