from django.contrib.auth import views as auth_views
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from .models import ExportJob
from .roles import Right, has_right


class PortalLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def home(request):
    if has_right(request.user, Right.LEDGER_VIEW):
        return redirect("enterprises:list")
    return redirect("admin:index") if request.user.is_staff else redirect("logout")


def _own_job(request, job_id) -> ExportJob:
    # A job belongs to the user who started it; anyone else gets a 404.
    return get_object_or_404(ExportJob, pk=job_id, user=request.user)


def export_job(request, job_id):
    job = _own_job(request, job_id)
    template = "export_job_status.html" if request.headers.get("HX-Request") else "export_job.html"
    return render(request, template, {"job": job})


def export_job_download(request, job_id):
    job = _own_job(request, job_id)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404(_("文件尚未生成。"))
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)
