from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .errors import document_too_large


class VietnameseFirstLocaleMiddleware:
    """The UI is Vietnamese unless the user picked another language; the browser's own language is not asked.

    Officials often run English-language browsers; they still expect the Vietnamese UI.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class RequestSizeLimitMiddleware:
    """Refuse a body larger than the largest accepted document before anything reads it (a 200 MB "scan" never
    reaches the disk); the services check the exact limit of what they accept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DOCUMENT_MAX_BYTES + 1024 * 1024:
            message = document_too_large()
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "field": "file"}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
