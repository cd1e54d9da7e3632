"""The firm user's pages (企业端). Each part of the door keeps its own module of views and URLs."""

from django.urls import path

from . import account_urls, reward_views, round_views, views

app_name = "firms"

urlpatterns = [
    path("", views.home, name="home"),
    path("rewards/", reward_views.rewards, name="rewards"),
    path("rewards/<int:pk>/documents/", reward_views.document_upload, name="reward_document_upload"),
    path(
        "rewards/<int:pk>/documents/<int:document_pk>/",
        reward_views.document_download,
        name="reward_document_download",
    ),
    path(
        "rewards/<int:pk>/documents/<int:document_pk>/remove/",
        reward_views.document_remove,
        name="reward_document_remove",
    ),
    *account_urls.urlpatterns,
    path("round/", round_views.round_page, name="round"),
    path("round/declare/", round_views.round_declare, name="round_declare"),
    path("round/withdraw/", round_views.round_withdraw, name="round_withdraw"),
]
