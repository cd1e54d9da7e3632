from django.urls import path

from . import appropriation_views, document_views, publicity_views, queue_views, views

app_name = "incentives"

urlpatterns = [
    path("", views.reward_list, name="reward_list"),
    path("export/<str:fmt>/", queue_views.reward_export, name="reward_export"),
    path("bulk-approve/", queue_views.reward_bulk_approve, name="reward_bulk_approve"),
    path("<int:pk>/", views.reward_detail, name="reward_detail"),
    path("<int:pk>/submit/", views.reward_submit, name="reward_submit"),
    path("<int:pk>/review/", views.reward_review, name="reward_review"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("<int:pk>/documents/<int:document_pk>/", views.document_download, name="document_download"),
    path("<int:pk>/documents/<int:document_pk>/remove/", views.document_remove, name="document_remove"),
    path("lines/", views.line_list, name="line_list"),
    path("lines/export/<str:fmt>/", queue_views.line_export, name="line_export"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/new/", views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/export/<str:fmt>/", views.batch_export, name="batch_export"),
    path("batches/<int:pk>/print/", views.batch_print, name="batch_print"),
    path("batches/<int:pk>/payment-runs/<int:run_id>/", views.payment_run, name="payment_run"),
    path(
        "batches/<int:pk>/issue/<str:kind>/",
        document_views.batch_document_issue,
        name="batch_document_issue",
    ),
    path("batches/<int:pk>/<str:action>/", views.batch_action, name="batch_action"),
    path("publicity/", publicity_views.publicity_list, name="publicity_list"),
    path("publicity/new/", publicity_views.publicity_new, name="publicity_new"),
    path("publicity/<int:pk>/", publicity_views.publicity_detail, name="publicity_detail"),
    path("publicity/<int:pk>/objections/", publicity_views.objection_record, name="objection_record"),
    path(
        "publicity/<int:pk>/objections/<int:objection_pk>/",
        publicity_views.objection_resolve,
        name="objection_resolve",
    ),
    path("budget/", views.budget, name="budget"),
    path("budget/export/<str:fmt>/", views.budget, name="budget_export"),
    path("appropriations/", appropriation_views.appropriation_list, name="appropriation_list"),
    path(
        "appropriations/export/<str:fmt>/",
        appropriation_views.appropriation_list,
        name="appropriation_export",
    ),
    path("appropriations/new/", appropriation_views.appropriation_create, name="appropriation_create"),
    path("appropriations/<int:pk>/", appropriation_views.appropriation_detail, name="appropriation_detail"),
    path(
        "appropriations/<int:pk>/adjust/",
        appropriation_views.appropriation_adjust,
        name="appropriation_adjust",
    ),
    path("official-lists/", views.official_list_upload, name="official_list_upload"),
    path("official-lists/preview/<str:token>/", views.official_list_preview, name="official_list_preview"),
    path(
        "official-lists/preview/<str:token>/cancel/", views.official_list_cancel, name="official_list_cancel"
    ),
    path("official-lists/<int:pk>/", views.official_list_detail, name="official_list_detail"),
    path(
        "official-lists/<int:pk>/rows/<int:row_pk>/<str:action>/",
        views.official_list_row_action,
        name="official_list_row_action",
    ),
]
