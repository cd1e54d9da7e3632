from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import DEVICE_ID_SESSION_KEY

from . import health
from .errors import DomainError
from .files import private_file_response
from .import_jobs import import_job_cancel, import_job_confirm, import_runner
from .models import ExportJob, ImportJob, Notification
from .notifications import notification_mark_read, notifications_mark_all_read
from .pages import paginate_rows
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
    back = (_("操作日志"), reverse("audit_log")) if job.kind == "core.audit_log" else None
    crumbs = [back or (_("培育台账"), reverse("enterprises:list")), (_("导出任务"), None)]
    return render(request, template, {"job": job, "crumbs": crumbs})


def export_job_download(request, job_id):
    job = _own_job(request, job_id)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404(_("文件尚未生成。"))
    return private_file_response(job.file, job.filename)


def _own_import(request, job_id):
    """A job belongs to the user who started it (anyone else: 404), and only while it is in their scope
    (a right or a county they no longer have: 403 saying why)."""
    job = get_object_or_404(ImportJob.objects.select_related("user"), pk=job_id, user=request.user)
    runner = import_runner(job.kind)
    try:
        runner.authorize(request.user, job.params)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    return job, runner


@require_safe
def import_job(request, job_id):
    job, runner = _own_import(request, job_id)
    template = "import_job_status.html" if request.headers.get("HX-Request") else "import_job.html"
    context = {"job": job, "result": job.result, "result_template": runner.result_template}
    return render(request, template, {**context, "crumbs": runner.crumbs(job)})


@require_POST
def import_job_apply(request, job_id):
    job, _runner = _own_import(request, job_id)
    try:
        import_job_confirm(job=job, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("import_job", job_id=job.pk)


@require_POST
def import_job_forget(request, job_id):
    job, runner = _own_import(request, job_id)
    try:
        import_job_cancel(job=job, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("import_job", job_id=job.pk)
    messages.info(request, _("已取消导入，未写入任何数据。"))
    return redirect(runner.upload_url)


@require_safe
def import_job_errors(request, job_id):
    job, _runner = _own_import(request, job_id)
    if not job.errors_file:
        raise Http404(_("这个导入任务没有错误清单。"))
    name = _("导入错误清单-%(f)s.csv") % {"f": job.filename.rsplit(".", 1)[0]}
    return private_file_response(job.errors_file, name)


NOTIFICATIONS_PER_PAGE = 50


@require_safe
def notification_list(request):
    notifications = Notification.objects.filter(user=request.user).order_by("-created_at", "-id")
    paging = paginate_rows(
        request, notifications, per_page=NOTIFICATIONS_PER_PAGE
    )  # notification_user_created_id
    crumbs = [(_("首页"), reverse("home")), (_("消息"), None)]
    return render(request, "notifications.html", {"paging": paging, "crumbs": crumbs}, status=paging.status)


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


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """For the load balancer and the compose health checks: 200 when every check passes, 503 otherwise.

    ``?check=database`` (comma-separated names) runs only those checks. The answer names each check and
    its state, never a host, a URL or a version.
    """
    asked = [name for name in request.GET.get("check", "").split(",") if name]
    unknown = sorted(set(asked) - set(health.CHECKS))
    if unknown:
        return JsonResponse({"status": "bad-request", "checks": list(health.CHECKS)}, status=400)
    results = health.run_checks(asked or health.CHECKS)
    failing = [name for name, check in results.items() if not check.ok]
    body = {
        "status": "failing" if failing else "ok",
        "failing": failing,
        "checks": {name: check.as_dict() for name, check in results.items()},
    }
    response = JsonResponse(body, status=503 if failing else 200)
    # The failed check is logged as a warning already; without this Django logs every 503 probe (every few
    # seconds while Redis is down) as a request error, and production mails those to the administrators.
    response._has_been_logged = True
    return response
