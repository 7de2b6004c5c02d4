from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.middleware.http import ConditionalGetMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

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


class ApiConditionalGetMiddleware(ConditionalGetMiddleware):
    """ETag and If-None-Match -> 304 for the API's GET answers (R-18.4), which stay private to the caller and are revalidated
    each time. Django's middleware already skips other methods, answers other than 2xx and streamed files."""

    def process_response(self, request, response):
        if not request.path.startswith("/api/"):
            return response
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ("Authorization",))
        return super().process_response(request, response)


class ContentSecurityPolicyMiddleware:
    """settings.CONTENT_SECURITY_POLICY on every answer that has none: scripts, styles, images and forms from this site only,
    no inline script, no framing (R-18.2). The site's behaviour lives in static files (common/static/js/app.js)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
        return response
