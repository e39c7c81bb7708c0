"""API of enforcement.sanctions (the api namespace, /api/v1/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("sanction-ladder/", views.LadderApi.as_view(), name="sanction_ladder"),
    path("sanction-suggestions/", views.SuggestionListApi.as_view(), name="sanction_suggestion_list"),
    path("sanction-suggestions/<int:pk>/", views.SuggestionDetailApi.as_view(), name="sanction_suggestion_detail"),
    path(
        "sanction-suggestions/<int:pk>/confirm/",
        views.SuggestionConfirmApi.as_view(),
        name="sanction_suggestion_confirm",
    ),
    path(
        "sanction-suggestions/<int:pk>/dismiss/",
        views.SuggestionDismissApi.as_view(),
        name="sanction_suggestion_dismiss",
    ),
]
