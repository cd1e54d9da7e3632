"""Firm accounts: registration, set-password, the county's invitations and confirmations."""

from django.urls import path

from . import account_views as views

urlpatterns = [
    path("register/", views.register, name="register"),
    path("password/<uidb64>/<token>/", views.set_password, name="set_password"),
    path("registrations/", views.registrations, name="registrations"),
    path("registrations/<int:pk>/confirm/", views.registration_confirm, name="registration_confirm"),
    path("registrations/<int:pk>/reject/", views.registration_reject, name="registration_reject"),
    path("enterprises/<int:pk>/invite/", views.invite, name="invite"),
    path(
        "enterprises/<int:pk>/accounts/<int:user_pk>/reissue/",
        views.invitation_reissue,
        name="invitation_reissue",
    ),
    path(
        "enterprises/<int:pk>/accounts/<int:user_pk>/deactivate/",
        views.account_deactivate,
        name="account_deactivate",
    ),
    path(
        "enterprises/<int:pk>/accounts/<int:user_pk>/reactivate/",
        views.account_reactivate,
        name="account_reactivate",
    ),
]
