"""The project's URLs plus the registers', for tests run before the project mounts them itself."""

from django.urls import include, path

from anyang_hte.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(p, "namespace", None) == "registers" for p in urlpatterns):
    urlpatterns.append(path("registers/", include("assessment.register_urls")))
