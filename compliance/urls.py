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
    path("par/", views.par_page, name="par"),
    path("par/formula/", views.par_formula, name="par_formula"),
    path("reports/", views.reports, name="reports"),
    path("reports/new/", views.report_create, name="report_create"),
    path("reports/<int:pk>/", views.report, name="report"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/regenerate/", views.report_regenerate, name="report_regenerate"),
    path("reports/<int:pk>/report.docx", views.report_download, {"fmt": "docx"}, name="report_docx"),
    path("reports/<int:pk>/report.pdf", views.report_download, {"fmt": "pdf"}, name="report_pdf"),
]
