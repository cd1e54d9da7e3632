from django.urls import path, re_path

from . import readiness_views, submission_views, views

app_name = "enterprises"
RECORDS = "|".join(readiness_views.RECORDS)

urlpatterns = [
    path("", views.enterprise_list, name="list"),
    path("export/<str:fmt>/", views.enterprise_export, name="export"),
    path("new/", views.enterprise_create, name="create"),
    path("import/", views.import_upload, name="import"),
    path("import/template/", views.import_template, name="import_template"),
    path("import/<str:token>/", views.import_preview, name="import_preview"),
    path("import/<str:token>/cancel/", views.import_cancel, name="import_cancel"),
    path("submissions/", submission_views.submission_list, name="submissions"),
    path("submissions/<int:pk>/", submission_views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/accept/", submission_views.submission_accept, name="submission_accept"),
    path("submissions/<int:pk>/return/", submission_views.submission_return, name="submission_return"),
    path("submissions/files/<int:pk>/", submission_views.submission_file, name="submission_file"),
    path("<int:pk>/", views.enterprise_detail, name="detail"),
    path("<int:pk>/edit/", views.enterprise_edit, name="edit"),
    path("<int:pk>/figures/new/", views.figures_edit, name="figures_add"),
    path("<int:pk>/figures/<int:year>/", views.figures_edit, name="figures_edit"),
    path("<int:pk>/milestones/new/", views.milestone_add, name="milestone_add"),
    path("<int:pk>/milestones/<int:milestone_pk>/", views.milestone_edit, name="milestone_edit"),
    path("<int:pk>/visits/new/", views.visit_add, name="visit_add"),
    path("<int:pk>/qualifications/new/", views.qualification_add, name="qualification_add"),
    path("<int:pk>/innovation/<int:year>/", readiness_views.innovation_score, name="innovation_score"),
    # The records the readiness verdict reads: the IP register, adverse records, tech-SME direct routes.
    re_path(rf"^(?P<pk>\d+)/(?P<record>{RECORDS})/new/$", readiness_views.record_add, name="record_add"),
    re_path(
        rf"^(?P<pk>\d+)/(?P<record>{RECORDS})/(?P<record_pk>\d+)/$",
        readiness_views.record_edit,
        name="record_edit",
    ),
    re_path(
        rf"^(?P<pk>\d+)/(?P<record>{RECORDS})/(?P<record_pk>\d+)/delete/$",
        readiness_views.record_delete,
        name="record_delete",
    ),
    path(
        "<int:pk>/qualifications/<int:qualification_pk>/revoke/",
        views.qualification_revoke,
        name="qualification_revoke",
    ),
]
