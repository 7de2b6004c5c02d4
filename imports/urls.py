from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("template/", views.template_download, name="template"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/errors.csv", views.errors_download, name="errors_csv"),
    path("<int:pk>/apply/", views.apply_job, name="apply"),
]
