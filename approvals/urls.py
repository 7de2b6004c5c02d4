from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.round_page, name="round"),
    path("sign/", views.sign, name="sign"),
    path("batches/<int:pk>/", views.batch_page, name="batch"),
    path("changes/<int:pk>/reject/", views.reject, name="reject"),
    path("rounds/", views.windows, name="windows"),
]
