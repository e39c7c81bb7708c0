"""API of reports.subjects (the api namespace, /api/v1/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("subject-requests/", views.SubjectRequestListApi.as_view(), name="subject_request_list"),
    path("subject-requests/<int:pk>/", views.SubjectRequestDetailApi.as_view(), name="subject_request_detail"),
    path("subject-requests/<int:pk>/act/", views.SubjectRequestActApi.as_view(), name="subject_request_act"),
    path("subject-requests/<int:pk>/data/", views.SubjectRequestDataApi.as_view(), name="subject_request_data"),
]
