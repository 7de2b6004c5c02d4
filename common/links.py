from django.conf import settings


def public_url(path: str) -> str:
    """An absolute link for an e-mail: the application's public address (PUBLIC_URL) and one of its paths."""
    return settings.PUBLIC_URL + path
