"""What an error report (the administrators' e-mail, the debug page) may show of a request."""

from django.views.debug import SafeExceptionReporterFilter


class PortalExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django hides the session cookie and what looks secret by its name (``csrftoken``, ``HTTP_COOKIE``),
    but shows any other cookie (a two-factor "remember this browser" cookie, say: whoever reads the
    e-mail could use it) and the CSRF secret the middleware copies into ``META["CSRF_COOKIE"]``. Here
    every cookie's value is hidden, wherever it appears in the request."""

    def get_safe_cookies(self, request):
        if not hasattr(request, "COOKIES"):
            return {}
        return {name: self.cleansed_substitute for name in request.COOKIES}

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        return {k: self.cleansed_substitute if "COOKIE" in k.upper() else v for k, v in meta.items()}
