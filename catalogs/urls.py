from django.urls import path

from . import views

app_name = "catalogs"
urlpatterns = [
    path("", views.catalog_list, name="list"),
    path("<slug:code>/", views.catalog_detail, name="detail"),
]
