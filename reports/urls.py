from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("statistics/", views.statistics_page, name="statistics"),
    path("forms/", views.standard_form_page, name="standard_form"),
    path("staffing/", views.staffing_page, name="staffing"),
    path("saved/", views.saved_search_create, name="saved_search_create"),
    path("saved/<int:pk>/", views.saved_search_open, name="saved_search_open"),
    path("saved/<int:pk>/delete/", views.saved_search_delete, name="saved_search_delete"),
]
