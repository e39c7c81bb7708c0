"""Ingest API: files or JSON batches of registrations and activations, and the job's state."""

from django.urls import path

from . import views

urlpatterns = [
    path("imports/registrations/", views.RegistrationImportApi.as_view(), name="import_registrations"),
    path("imports/activations/", views.ActivationImportApi.as_view(), name="import_activations"),
    path("imports/<int:pk>/", views.ImportJobApi.as_view(), name="import_job_detail"),
    path("imports/<int:pk>/rejects/", views.ImportRejectsApi.as_view(), name="import_job_rejects"),
]
