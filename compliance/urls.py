from django.urls import path

from . import views

app_name = "compliance"
urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/read/", views.reminders_read, name="reminders_read"),
    path("obligations/", views.obligations, name="obligations"),
    path("obligations/refresh/", views.refresh, name="refresh"),
    path("findings/", views.findings, name="findings"),
    path("findings/run/", views.run_checks, name="run_checks"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/overrides/", views.override_add, name="override_add"),
    path("calendar/<int:pk>/remove/", views.override_remove, name="override_remove"),
]
