"""Vietnamese text handling shared by every app."""

import unicodedata


def nfc(value: str | None) -> str:
    """Normalize free text to NFC and trim it, as every stored text must be."""
    return unicodedata.normalize("NFC", value or "").strip()


def search_key(value: str | None) -> str:
    """Lower-case, diacritics dropped and đ mapped to d: "Nguyễn Văn Dũng" -> "nguyen van dung"."""
    decomposed = unicodedata.normalize("NFD", (value or "").replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())
