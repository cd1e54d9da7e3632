"""URLs of the plan's registers and its 13 tasks; the project mounts them under ``registers/``."""

from django.urls import path

from . import views

app_name = "registers"

urlpatterns = [
    path("carriers/", views.carrier_list, name="carrier_list"),
    path("carriers/export/<str:fmt>/", views.carrier_export, name="carrier_export"),
    path("carriers/new/", views.carrier_create, name="carrier_create"),
    path("carriers/<int:pk>/edit/", views.carrier_edit, name="carrier_edit"),
    path("carriers/<int:pk>/revoke/", views.carrier_revoke, name="carrier_revoke"),
    path("training/", views.training_list, name="training_list"),
    path("training/new/", views.training_create, name="training_create"),
    path("training/<int:pk>/", views.training_detail, name="training_detail"),
    path("training/<int:pk>/edit/", views.training_edit, name="training_edit"),
    path("counselors/", views.counselor_list, name="counselor_list"),
    path("counselors/new/", views.counselor_create, name="counselor_create"),
    path("counselors/<int:pk>/", views.counselor_detail, name="counselor_detail"),
    path("counselors/<int:pk>/edit/", views.counselor_edit, name="counselor_edit"),
    path("plan/", views.plan_tasks, name="plan_tasks"),
    path("plan/report/", views.task_report, name="task_report"),
    path("plan/<int:number>/", views.plan_task_detail, name="plan_task_detail"),
]
