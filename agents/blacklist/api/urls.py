"""/api/v1/blacklist/ (names under the "api" namespace), included by agents/api/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("blacklist/", views.BlacklistListApi.as_view(), name="blacklist_list"),
    path("blacklist/<int:pk>/", views.BlacklistDetailApi.as_view(), name="blacklist_detail"),
]
