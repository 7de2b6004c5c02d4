from django.urls import path

from . import views

app_name = "inspections"
urlpatterns = [
    path("", views.inspection_list, name="list"),
    path("new/", views.inspection_new, name="new"),
    path("<int:pk>/", views.inspection_detail, name="detail"),
    path("<int:pk>/answer/", views.inspection_answer, name="answer"),
    path("<int:pk>/close/", views.inspection_close, name="close"),
]
