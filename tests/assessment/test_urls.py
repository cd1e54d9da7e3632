"""The project's URLs plus the assessment app's, for tests that run before the project includes it."""

from django.urls import include, path

from anyang_hte.urls import urlpatterns as project_urlpatterns

urlpatterns = [p for p in project_urlpatterns if getattr(p, "namespace", None) != "assessment"]
urlpatterns += [path("assessment/", include("assessment.urls"))]
