from django.urls import path

from . import document_views, forecast_views, plan_views, views

app_name = "assessment"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rollup/", views.rollup_start, name="rollup_start"),
    path("rollup/<int:pk>/", views.rollup_status, name="rollup_status"),
    path("targets/", views.targets, name="targets"),
    path("value-added/", plan_views.published, name="published"),
    path("value-added/template/", plan_views.published_template, name="published_template"),
    path("value-added/import/", plan_views.published_import, name="published_import"),
    path(
        "value-added/import/<str:token>/",
        plan_views.published_import_preview,
        name="published_import_preview",
    ),
    path(
        "value-added/import/<str:token>/cancel/",
        plan_views.published_import_cancel,
        name="published_import_cancel",
    ),
    path("plans/", plan_views.plans, name="plans"),
    path("plans/new/", plan_views.plan_create, name="plan_create"),
    path("plans/counting-rule/", plan_views.counting_rule, name="counting_rule"),
    path("plans/<int:plan_pk>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<int:plan_pk>/new-hte/", plan_views.plan_new_hte, name="plan_new_hte"),
    path("forecast/", forecast_views.forecast, name="forecast"),
    path("forecast/firms/", forecast_views.forecast_firms, name="forecast_firms"),
    path("forecast/export/<str:fmt>/", forecast_views.forecast_export, name="forecast_export"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("bulletin/xlsx/", views.bulletin_xlsx, name="bulletin_xlsx"),
    path("bulletin/issue/", document_views.bulletin_issue, name="bulletin_issue"),
    path("watchlists/", views.watchlists, name="watchlists"),
    path("watchlists/<str:code>/", views.watchlist, name="watchlist"),
    path("watchlists/<str:code>/export/<str:fmt>/", views.watchlist_export, name="watchlist_export"),
    path("jurisdictions/<str:code>/", views.jurisdiction, name="jurisdiction"),
    path("jurisdictions/<str:code>/<str:indicator>/", views.drilldown, name="drilldown"),
    path(
        "jurisdictions/<str:code>/<str:indicator>/export/<str:fmt>/",
        views.drilldown_export,
        name="drilldown_export",
    ),
]
