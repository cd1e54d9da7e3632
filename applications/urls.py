from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("new/", views.round_open, name="round_open"),
    path("<int:year>/", views.round_detail, name="round"),
    path("<int:year>/export/<str:fmt>/", views.round_export, name="round_export"),
    path("<int:year>/edit/", views.round_edit, name="round_edit"),
    path("<int:year>/close/", views.round_close, name="round_close"),
    path("<int:year>/declare/", views.round_declare, name="round_declare"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("entries/<int:pk>/move/", views.entry_move, name="entry_move"),
]
