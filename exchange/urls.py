from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.status_page, name="status"),
    path("packets/", views.packet_list, name="packets"),
    path("packets/resend/", views.resend, name="resend"),
    path("send/", views.send_now, name="send_now"),
    path("queue-unsent/", views.queue_unsent, name="queue_unsent"),
    path("reconciliations/", views.reconcile, name="reconcile"),
    path("reconciliations/<int:pk>/", views.reconciliation_page, name="reconciliation"),
    path("reconciliations/<int:pk>/resend/", views.reconciliation_resend, name="reconciliation_resend"),
    path("arrivals/<int:pk>/fetch/", views.fetch_arrival, name="fetch_arrival"),
]
