"""The firm user's pages (企业端). Each part of the door keeps its own module of views and URLs."""

from django.urls import path

from . import round_views, views

app_name = "firms"

urlpatterns = [
    path("", views.home, name="home"),
    path("round/", round_views.round_page, name="round"),
    path("round/declare/", round_views.round_declare, name="round_declare"),
    path("round/withdraw/", round_views.round_withdraw, name="round_withdraw"),
]
