"""Vietnamese text handling shared by every app."""

import unicodedata


def clean_text(value: str) -> str:
    """Text a database can store: no NUL characters and no lone surrogates (which JSON escapes can smuggle in)."""
    return value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")


def clean_json(value):
    """clean_text over every key and string of a parsed JSON value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_json(item) for key, item in value.items()}
    return value


def as_id(value) -> int | None:
    """A database id (or any positive number kept in a bigint) typed as text; None for anything else. str.isdigit alone also
    accepts "¹" and other digits int() refuses, and numbers no bigint holds."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def nfc(value: str | None) -> str:
    """Normalize free text to NFC and trim it, as every stored text must be."""
    return unicodedata.normalize("NFC", clean_text(value or "")).strip()


def search_key(value: str | None) -> str:
    """Lower-case, diacritics dropped and đ mapped to d: "Nguyễn Văn Dũng" -> "nguyen van dung"."""
    decomposed = unicodedata.normalize("NFD", clean_text(value or "").replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())
