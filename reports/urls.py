from django.urls import path

from . import views, views_exports, views_signed

app_name = "reports"
urlpatterns = [
    path("statistics/", views.statistics_page, name="statistics"),
    path("forms/", views.standard_form_page, name="standard_form"),
    path("staffing/", views.staffing_page, name="staffing"),
    path("saved/", views.saved_search_create, name="saved_search_create"),
    path("saved/<int:pk>/", views.saved_search_open, name="saved_search_open"),
    path("saved/<int:pk>/delete/", views.saved_search_delete, name="saved_search_delete"),
    path("exports/", views_exports.export_list, name="exports"),
    path("exports/new/", views_exports.export_create, name="export_create"),
    path("exports/<int:pk>/", views_exports.export_detail, name="export"),
    path("exports/<int:pk>/file/", views_exports.export_download, name="export_download"),
    path("units/<int:unit_id>/staff-list.pdf", views_exports.staff_list, name="staff_list"),
    path("sign/<slug:kind>/", views_signed.sign_page, name="sign"),
    path("signed/", views_signed.signed_list, name="signed_list"),
    path("signed/<str:code>/", views_signed.signed_detail, name="signed"),
    path("signed/<str:code>/file/", views_signed.signed_download, name="signed_download"),
    path("verify/", views_signed.verify, name="verify"),
    path("verify/<str:code>/", views_signed.verify_code, name="verify_code"),
]
