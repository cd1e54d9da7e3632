"""The firm user's pages (企业端). Each part of the door keeps its own module of views and URLs."""

from django.urls import path

from . import submission_views, views

app_name = "firms"

urlpatterns = [
    path("", views.home, name="home"),
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
    path("evaluation/", submission_views.evaluation, name="evaluation"),
    path("evaluation/innovation/", submission_views.innovation_draft, name="innovation_draft"),
]
