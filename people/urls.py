from django.urls import path

from . import views, views_own

app_name = "people"
urlpatterns = [
    path("", views.people_list, name="list"),
    path("new/", views.new_person, name="new"),
    path("me/", views.my_record, name="me"),
    path("changes/", views.open_changes, name="open_changes"),
    path("retirements/", views.retirements, name="retirements"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/<slug:section>/", views.edit_section, name="edit"),
    path("<int:pk>/diff/", views.versions_diff, name="diff"),
    path("<int:pk>/print/", views.print_resume, name="print"),
    path("<int:pk>/timeline/", views.person_timeline, name="timeline"),
    path("<int:pk>/status/", views.change_status, name="status"),
    path("me/checked/", views.confirm_checked, name="checked"),
    path("me/record.pdf", views_own.my_record_pdf, name="me_pdf"),
    path("me/record.json", views_own.my_record_json, name="me_json"),
    path("me/access/", views_own.my_access, name="me_access"),
    path("changes/<int:pk>/", views.change_set_detail, name="change_set"),
    path("changes/<int:pk>/upload/", views.upload, name="upload"),
    path("changes/<int:pk>/submit/", views.submit, name="submit"),
    path("changes/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("documents/<str:sha256>/", views.document, name="document"),
]
