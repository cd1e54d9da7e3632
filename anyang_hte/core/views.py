from django.contrib.auth import views as auth_views
from django.shortcuts import redirect

from .roles import Right, has_right


class PortalLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def home(request):
    if has_right(request.user, Right.LEDGER_VIEW):
        return redirect("enterprises:list")
    return redirect("admin:index") if request.user.is_staff else redirect("logout")
