from django.urls import path

from . import views

app_name = "backups"
urlpatterns = [
    path("", views.backup_list, name="list"),
    path("start/", views.start, name="start"),
    path("checks/", views.check_list, name="checks"),
    path("<int:pk>/", views.backup_detail, name="detail"),
    path("<int:pk>/verify/", views.verify, name="verify"),
    path("<int:pk>/download/", views.download, name="download"),
]
