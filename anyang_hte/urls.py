from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from anyang_hte.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
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
    path("exports/<uuid:job_id>/", core_views.export_job, name="export_job"),
    path("exports/<uuid:job_id>/download/", core_views.export_job_download, name="export_job_download"),
    path("notifications/", core_views.notification_list, name="notification_list"),
    path("notifications/read-all/", core_views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_id>/open/", core_views.notification_open, name="notification_open"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
