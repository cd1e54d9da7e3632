from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import DEVICE_ID_SESSION_KEY

from .models import ExportJob, Notification
from .notifications import notification_mark_read, notifications_mark_all_read
from .roles import Right, has_right, is_firm_user, two_factor_required
from .two_factor import SESSION_ENABLED, has_two_factor


class PortalLoginView(auth_views.LoginView):
    """The password step (django-axes counts the failures). A user with an authenticator goes on to the
    code; a money role without one goes on to enrol it (``two_factor_views``)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        # A password log-in never inherits an earlier session's second factor.
        self.request.session.pop(DEVICE_ID_SESSION_KEY, None)
        enrolled = has_two_factor(user)
        self.request.session[SESSION_ENABLED] = enrolled
        if enrolled or two_factor_required(user):
            page = "two_factor:verify" if enrolled else "two_factor:setup"
            return redirect(f"{reverse(page)}?{urlencode({'next': self.get_success_url()})}")
        return response


def home(request):
    """Each office starts where its daily work is."""
    user = request.user
    if is_firm_user(user):
        return redirect("firms:home")  # linked or not: the firm's door says which
    if has_right(user, Right.REWARD_REVIEW):
        return redirect(reverse("incentives:reward_list") + "?status=submitted")
    if has_right(user, Right.PAYOUT_MANAGE):
        return redirect("incentives:line_list")
    if has_right(user, Right.LEDGER_VIEW):
        return redirect("enterprises:list")
    return render(
        request, "403.html", {"exception": _("您的账号尚未分配角色，请联系系统管理员。")}, status=403
    )


def _own_job(request, job_id) -> ExportJob:
    # A job belongs to the user who started it; anyone else gets a 404.
    return get_object_or_404(ExportJob, pk=job_id, user=request.user)


def export_job(request, job_id):
    job = _own_job(request, job_id)
    template = "export_job_status.html" if request.headers.get("HX-Request") else "export_job.html"
    crumbs = [(_("培育台账"), reverse("enterprises:list")), (_("导出任务"), None)]
    return render(request, template, {"job": job, "crumbs": crumbs})


def export_job_download(request, job_id):
    job = _own_job(request, job_id)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404(_("文件尚未生成。"))
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)


NOTIFICATIONS_PER_PAGE = 50


@require_safe
def notification_list(request):
    notifications = Notification.objects.filter(user=request.user).order_by("-created_at", "-id")
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    crumbs = [(_("首页"), reverse("home")), (_("消息"), None)]
    return render(request, "notifications.html", {"page": page, "crumbs": crumbs})


@require_http_methods(["GET", "POST"])
def notification_open(request, notification_id):
    # A message belongs to its user; anyone else gets a 404.
    notification = get_object_or_404(Notification, pk=notification_id, user=request.user)
    notification_mark_read(notification=notification, by=request.user)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notification_list")


@require_POST
def notifications_read_all(request):
    count = notifications_mark_all_read(by=request.user)
    if count:
        messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": count})
    return redirect("notification_list")
