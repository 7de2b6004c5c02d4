from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/move/", views.unit_move, name="unit_move"),
    path("units/<int:pk>/dissolve/", views.unit_dissolve, name="unit_dissolve"),
    path("units/<int:pk>/quotas/", views.unit_set_quota, name="unit_set_quota"),
    path("units/<int:pk>/positions/", views.unit_add_position, name="unit_add_position"),
    path("units/<int:pk>/positions/<int:position_id>/close/", views.unit_close_position, name="unit_close_position"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/steps/", views.plan_add_step, name="plan_add_step"),
    path("plans/<int:pk>/steps/upload/", views.plan_upload_steps, name="plan_upload_steps"),
    path("plans/<int:pk>/steps/<int:position>/remove/", views.plan_remove_step, name="plan_remove_step"),
    path("plans/<int:pk>/preview/", views.plan_preview, name="plan_preview"),
    path("plans/<int:pk>/apply/", views.plan_apply, name="plan_apply"),
]
