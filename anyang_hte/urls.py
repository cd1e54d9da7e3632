from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from anyang_hte.core import audit_views, document_views
from anyang_hte.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/login/", core_views.PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/", include("anyang_hte.core.two_factor_urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("ledger/", include("enterprises.urls")),
    path("rewards/", include("incentives.urls")),
    path("rounds/", include("applications.urls")),
    path("assessment/", include("assessment.urls")),
    path("registers/", include("assessment.registers.urls")),
    path("firm/", include("firms.urls")),
    # 公示 of proposed rewards: public, no log-in (incentives/public_views.py)
    path("gongshi/", include("incentives.public_urls")),
    # The machine API: token clients, not sessions (api/)
    path("api/v1/", include("api.urls")),
    path("exports/<uuid:job_id>/", core_views.export_job, name="export_job"),
    path("exports/<uuid:job_id>/download/", core_views.export_job_download, name="export_job_download"),
    path("imports/<uuid:job_id>/", core_views.import_job, name="import_job"),
    path("imports/<uuid:job_id>/apply/", core_views.import_job_apply, name="import_job_apply"),
    path("imports/<uuid:job_id>/cancel/", core_views.import_job_forget, name="import_job_cancel"),
    path("imports/<uuid:job_id>/errors/", core_views.import_job_errors, name="import_job_errors"),
    path("notifications/", core_views.notification_list, name="notification_list"),
    path("notifications/read-all/", core_views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/open/", core_views.notification_open, name="notification_open"),
    path("audit/", audit_views.audit_log_list, name="audit_log"),
    path("audit/export/<str:fmt>/", audit_views.audit_log_export, name="audit_log_export"),
    path("documents/", document_views.document_list, name="document_list"),
    path("documents/<int:pk>/download/", document_views.document_download, name="document_download"),
    path("admin/", admin.site.urls),
]

# Nothing serves MEDIA_URL, not even under DEBUG: every stored file (reward documents, firms' supporting
# files, export files, stashed imports) is reached only through its own view, which checks the right and
# the scope (anyang_hte.core.files.private_file_response).
