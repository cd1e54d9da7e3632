"""The firm user's pages (企业端). Each part of the door keeps its own module of views and URLs."""

from django.urls import path

from . import account_urls, reward_views, round_views, submission_views, views

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
    # What the firm enters for its county to confirm, its supporting files, its self-evaluation.
    path("submissions/", submission_views.submission_list, name="submissions"),
    path("submissions/figures/", submission_views.submission_figures, name="submission_figures"),
    path("submissions/profile/", submission_views.submission_profile, name="submission_profile"),
    path("submissions/ip/", submission_views.submission_ip, name="submission_ip"),
    path("submissions/<int:pk>/", submission_views.submission_edit, name="submission_edit"),
    path("submissions/<int:pk>/submit/", submission_views.submission_submit, name="submission_submit"),
    path("submissions/<int:pk>/withdraw/", submission_views.submission_withdraw, name="submission_withdraw"),
    path("submissions/files/new/", submission_views.submission_file_add, name="submission_file_add"),
    path("submissions/files/<int:pk>/", submission_views.submission_file, name="submission_file"),
    path(
        "submissions/files/<int:pk>/remove/",
        submission_views.submission_file_remove,
        name="submission_file_remove",
    ),
    path("evaluation/", submission_views.evaluation, name="evaluation"),
    path("evaluation/innovation/", submission_views.innovation_draft, name="innovation_draft"),
]
