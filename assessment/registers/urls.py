"""URLs of the plan's registers, its 13 tasks and the Little Giant reserve; mounted under ``registers/``."""

from django.urls import path

from . import lg_reserve_views, views

app_name = "registers"

urlpatterns = [
    path("carriers/", views.carrier_list, name="carrier_list"),
    path("carriers/export/<str:fmt>/", views.carrier_export, name="carrier_export"),
    path("carriers/new/", views.carrier_create, name="carrier_create"),
    path("carriers/<int:pk>/edit/", views.carrier_edit, name="carrier_edit"),
    path("carriers/<int:pk>/revoke/", views.carrier_revoke, name="carrier_revoke"),
    path("training/", views.training_list, name="training_list"),
    path("training/export/<str:fmt>/", views.training_export, name="training_export"),
    path("training/new/", views.training_create, name="training_create"),
    path("training/<int:pk>/", views.training_detail, name="training_detail"),
    path("training/<int:pk>/edit/", views.training_edit, name="training_edit"),
    path("counselors/", views.counselor_list, name="counselor_list"),
    path("counselors/export/<str:fmt>/", views.counselor_export, name="counselor_export"),
    path("counselors/new/", views.counselor_create, name="counselor_create"),
    path("counselors/<int:pk>/", views.counselor_detail, name="counselor_detail"),
    path("counselors/<int:pk>/edit/", views.counselor_edit, name="counselor_edit"),
    path("plan/", views.plan_tasks, name="plan_tasks"),
    path("plan/export/<str:fmt>/", views.plan_tasks_export, name="plan_tasks_export"),
    path("plan/report/", views.task_report, name="task_report"),
    path("plan/<int:number>/", views.plan_task_detail, name="plan_task_detail"),
    path("little-giant-reserve/", lg_reserve_views.lg_reserve, name="lg_reserve"),
    path(
        "little-giant-reserve/export/<str:fmt>/", lg_reserve_views.lg_reserve_export, name="lg_reserve_export"
    ),
    path("little-giant-reserve/propose/", lg_reserve_views.lg_reserve_pick, name="lg_reserve_pick"),
    path(
        "little-giant-reserve/propose/<int:pk>/",
        lg_reserve_views.lg_reserve_propose,
        name="lg_reserve_propose",
    ),
    path("little-giant-reserve/<int:pk>/", lg_reserve_views.lg_reserve_entry, name="lg_reserve_entry"),
    path(
        "little-giant-reserve/<int:pk>/withdraw/",
        lg_reserve_views.lg_reserve_withdraw,
        name="lg_reserve_withdraw",
    ),
    path(
        "little-giant-reserve/<int:pk>/confirm/",
        lg_reserve_views.lg_reserve_confirm,
        name="lg_reserve_confirm",
    ),
    path(
        "little-giant-reserve/<int:pk>/decline/",
        lg_reserve_views.lg_reserve_decline,
        name="lg_reserve_decline",
    ),
    path(
        "little-giant-reserve/<int:pk>/remove/", lg_reserve_views.lg_reserve_remove, name="lg_reserve_remove"
    ),
]
