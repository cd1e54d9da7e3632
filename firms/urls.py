"""The firm user's pages (企业端). Each part of the door keeps its own module of views and URLs."""

from django.urls import path

from . import account_urls, views

app_name = "firms"

urlpatterns = [
    path("", views.home, name="home"),
    *account_urls.urlpatterns,
]
