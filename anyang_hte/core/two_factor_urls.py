from django.urls import path

from . import two_factor_views as views

app_name = "two_factor"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("verify/", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
    path("setup/qr.svg", views.qr, name="qr"),
    path("backup-codes/", views.backup_codes, name="backup_codes"),
    path("backup-codes/download/", views.backup_codes_download, name="backup_codes_download"),
    path("backup-codes/new/", views.backup_codes_new, name="backup_codes_new"),
    path("disable/", views.disable, name="disable"),
    path("reset/", views.reset, name="reset"),
]
