from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import views

app_name = "api"


def _open(view):
    """API views answer for themselves (a token, not a session): the log-in redirect does not apply."""
    return login_not_required(view)


urlpatterns = [
    path("schema/", _open(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", _open(views.reference), name="reference"),
    path("enterprises/", _open(views.EnterpriseList.as_view()), name="enterprises"),
    path("enterprises/<str:credit_code>/", _open(views.EnterpriseDetail.as_view()), name="enterprise"),
    path(
        "enterprises/<str:credit_code>/figures/", _open(views.FiguresSubmit.as_view()), name="figures_submit"
    ),
    path("figures/", _open(views.FiguresList.as_view()), name="figures"),
    path("qualifications/", _open(views.QualificationList.as_view()), name="qualifications"),
    path("certifications/", _open(views.Certifications.as_view()), name="certifications"),
    path("rewards/", _open(views.RewardList.as_view()), name="rewards"),
    path("indicators/", _open(views.IndicatorList.as_view()), name="indicators"),
    path("round-entries/", _open(views.RoundEntryList.as_view()), name="round_entries"),
    path("official-lists/", _open(views.OfficialLists.as_view()), name="official_lists"),
]
