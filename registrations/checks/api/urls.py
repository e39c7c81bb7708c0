"""Flag queue API: list, detail, review."""

from django.urls import path

from . import views

urlpatterns = [
    path("flags/", views.FlagListApi.as_view(), name="flag_list"),
    path("flags/review/", views.FlagReviewApi.as_view(), name="flag_review"),
    path("flags/<int:pk>/", views.FlagDetailApi.as_view(), name="flag_detail"),
]
