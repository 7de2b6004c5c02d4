from django.urls import path

from . import views

app_name = "movements"
urlpatterns = [
    path("people/<int:pk>/transfer/", views.transfer_page, name="transfer"),
    path("arrivals/", views.arrival_list, name="arrivals"),
    path("arrivals/new/", views.arrival_new, name="arrival_new"),
    path("arrivals/<int:pk>/", views.arrival_detail, name="arrival"),
    path("arrivals/<int:pk>/document/", views.arrival_document, name="arrival_document"),
]
