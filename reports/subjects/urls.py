"""Pages of reports.subjects (the reports namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("subject-requests/", views.subject_request_list, name="subject_request_list"),
    path("subject-requests/new/", views.subject_request_create, name="subject_request_create"),
    path("subject-requests/<int:pk>/", views.subject_request_detail, name="subject_request_detail"),
    path("subject-requests/<int:pk>/<slug:action>/", views.subject_request_act, name="subject_request_act"),
    path(
        "subject-requests/<int:pk>/download/<slug:fmt>/",
        views.subject_request_download,
        name="subject_request_download",
    ),
]
