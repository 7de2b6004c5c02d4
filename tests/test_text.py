from common.text import as_id, clean_json, nfc, search_key


def test_search_key_drops_diacritics_and_maps_d():
    assert search_key("Nguyễn Văn Dũng") == "nguyen van dung"
    assert search_key("ĐỒNG NAI  đồng nai") == "dong nai dong nai"


def test_text_is_nfc_and_storable():
    decomposed = "Nguye\u0302\u0303n"
    assert nfc(f"  {decomposed}\x00 ") == "Nguyễn"
    assert clean_json({"a\x00": ["x\ud800y", 3]}) == {"a": ["xy", 3]}


def test_an_id_typed_as_text_is_ascii_digits_within_a_bigint():
    assert as_id("42") == 42 and as_id("0") == 0
    assert [as_id(v) for v in ("¹", "٣", "-1", "4 2", "", None, "9" * 19, 42)] == [None] * 8
