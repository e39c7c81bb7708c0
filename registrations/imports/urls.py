"""Upload of registrations/activations files and the import's pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/rejects/", views.import_rejects, name="import_rejects"),
    path("import/<int:pk>/resume/", views.import_resume, name="import_resume"),
]
