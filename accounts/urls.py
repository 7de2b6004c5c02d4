from django.urls import path

from . import twofactor, views

app_name = "accounts"
urlpatterns = [
    path("", views.my_account, name="me"),
    path("password/", views.password_change, name="password_change"),
    path("password/report/", views.password_report, name="password_report"),
    path("2fa/", twofactor.enroll, name="2fa_enroll"),
    path("2fa/verify/", twofactor.verify, name="2fa_verify"),
    path("tokens/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("users/", views.user_list, name="users"),
    path("roles/", views.role_list, name="roles"),
    path("delegations/", views.delegation_list, name="delegations"),
    path("users/password-reports/<int:pk>/resolve/", views.password_report_resolve, name="password_report_resolve"),
    path("users/new/personal/", views.create_personal, name="create_personal"),
    path("users/new/agency/", views.create_agency, name="create_agency"),
    path("users/new/system/", views.create_system, name="create_system"),
    path("users/<int:pk>/tokens/", views.system_token, name="system_token"),
    path("users/<int:pk>/", views.user_detail, name="user"),
    path("users/<int:pk>/grant/", views.user_grant, name="user_grant"),
    path("users/<int:pk>/reset-password/", views.user_reset_password, name="user_reset_password"),
    path("users/<int:pk>/lock/", views.user_lock, name="user_lock"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/rename/", views.user_rename, name="user_rename"),
    path("users/<int:pk>/end-sessions/", views.user_end_sessions, name="user_end_sessions"),
    path("users/<int:pk>/close/", views.user_close, name="user_close"),
    path("grants/<int:pk>/change/", views.grant_change, name="grant_change"),
    path("requests/<int:pk>/scan/", views.written_request_scan, name="written_request_scan"),
]
