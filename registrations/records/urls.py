"""Registration search, record pages and the audited reveal."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.registration_list, name="registration_list"),
    path("<int:pk>/", views.registration_detail, name="registration_detail"),
    path("<int:pk>/reveal/", views.registration_reveal, name="registration_reveal"),
]
