"""The project's URLs plus a stand-in for the inspections page that schedules an inspection from a flag."""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns


def task_create_from_flag(request, flag_id):
    return HttpResponse("stand-in")


inspections = (
    [path("tasks/from-flag/<int:flag_id>/", task_create_from_flag, name="task_create_from_flag")],
    "inspections",
)

urlpatterns = [*project_urlpatterns, path("inspections/", include(inspections))]
