"""The portal's URLs plus the page benchmark's floor (anyang_hte.settings.bench only, never production).

The floor is the cheapest logged-in page there can be: every middleware of the portal runs (session,
CSRF, authentication, the second factor, login required, axes) and the view returns a few bytes with no
query and no template, so a page's time over the floor's is what the page itself costs."""

from django.http import HttpResponse
from django.urls import path

from .urls import urlpatterns as portal_urlpatterns


def bench_floor(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", bench_floor, name="bench_floor"), *portal_urlpatterns]
