from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rollup/", views.rollup_start, name="rollup_start"),
    path("rollup/<int:pk>/", views.rollup_status, name="rollup_status"),
    path("targets/", views.targets, name="targets"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("bulletin/xlsx/", views.bulletin_xlsx, name="bulletin_xlsx"),
    path("watchlists/", views.watchlists, name="watchlists"),
    path("watchlists/<str:code>/", views.watchlist, name="watchlist"),
    path("watchlists/<str:code>/export/<str:fmt>/", views.watchlist_export, name="watchlist_export"),
    path("jurisdictions/<str:code>/", views.jurisdiction, name="jurisdiction"),
    path("jurisdictions/<str:code>/<str:indicator>/", views.drilldown, name="drilldown"),
]
