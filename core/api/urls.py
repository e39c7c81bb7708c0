from django.urls import path

from .views import MeApi

urlpatterns = [
    path("me/", MeApi.as_view(), name="me"),
]
