from django.urls import path

from . import views
from .blacklist import urls as blacklist_urls

app_name = "agents"

urlpatterns = [
    *blacklist_urls.urlpatterns,  # before "<int:pk>/<str:action>/"
    path("", views.agent_list, name="agent_list"),
    path("new/", views.agent_create, name="agent_create"),
    path("export.csv", views.agent_export, name="agent_export"),
    path("<int:pk>/", views.agent_detail, name="agent_detail"),
    path("<int:pk>/edit/", views.agent_edit, name="agent_edit"),
    path("<int:pk>/<str:action>/", views.agent_status, name="agent_status"),
    path("points/", views.point_list, name="point_list"),
    path("points/new/", views.point_create, name="point_create"),
    path("points/export.csv", views.point_export, name="point_export"),
    path("points/<int:pk>/", views.point_detail, name="point_detail"),
    path("points/<int:pk>/edit/", views.point_edit, name="point_edit"),
    path("points/<int:pk>/<str:action>/", views.point_status, name="point_status"),
    path("import/", views.import_upload, name="import"),
    path("import/result/", views.import_result, name="import_result"),
    path("import/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/rejects.csv", views.import_rejects, name="import_rejects"),
]
