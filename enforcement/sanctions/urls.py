"""Pages of enforcement.sanctions (the enforcement namespace)."""

from django.urls import path

from . import views

urlpatterns = [
    path("sanction-ladder/", views.ladder, name="ladder"),
    path("sanction-ladder/edit/", views.ladder_edit, name="ladder_edit"),
    path("sanction-ladder/suggestions/", views.suggestion_list, name="suggestion_list"),
    path("sanction-ladder/suggestions/<int:pk>/", views.suggestion_detail, name="suggestion_detail"),
    path("sanction-ladder/suggestions/<int:pk>/confirm/", views.suggestion_confirm, name="suggestion_confirm"),
    path("sanction-ladder/suggestions/<int:pk>/dismiss/", views.suggestion_dismiss, name="suggestion_dismiss"),
    path("sanction-ladder/sections/finding/<int:pk>/", views.finding_ladder_section, name="finding_ladder_section"),
    path("sanction-ladder/sections/sanction/<int:pk>/", views.sanction_ladder_section, name="sanction_ladder_section"),
    path("sanction-ladder/sections/point/<int:pk>/", views.point_ladder_section, name="point_ladder_section"),
    path("sanction-ladder/sections/agent/<int:pk>/", views.agent_ladder_section, name="agent_ladder_section"),
]
