"""The public 公示 pages, mounted at /gongshi/ (namespace ``gongshi``: no log-in, no second factor)."""

from django.urls import path

from . import public_views

app_name = "gongshi"

urlpatterns = [
    path("", public_views.publicity_index, name="index"),
    path("<int:pk>/", public_views.publicity_page, name="detail"),
]
