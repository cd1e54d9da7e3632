"""The firm user's pages (企业端). Each part of the door keeps its own module of views and URLs."""

from django.urls import path

from . import account_urls, reward_views, views

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
]
