from django.urls import path

from . import views

app_name = "movements"
urlpatterns = [
    path("people/<int:pk>/transfer/", views.transfer_page, name="transfer"),
]
