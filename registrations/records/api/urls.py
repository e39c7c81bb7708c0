"""Read API of registrations and activations; reveal."""

from django.urls import path

from . import views

urlpatterns = [
    path("registrations/", views.RegistrationListApi.as_view(), name="registration_list"),
    path("registrations/search/", views.RegistrationSearchApi.as_view(), name="registration_search"),
    path("registrations/<int:pk>/", views.RegistrationDetailApi.as_view(), name="registration_detail"),
    path("registrations/<int:pk>/reveal/", views.RegistrationRevealApi.as_view(), name="registration_reveal"),
    path("activations/", views.ActivationListApi.as_view(), name="activation_list"),
]
