from django.urls import path

from . import views

app_name = "problems"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_new, name="new"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/reply/", views.report_reply, name="reply"),
    path("<int:pk>/state/", views.report_state, name="state"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
