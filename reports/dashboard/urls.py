"""Pages of reports.dashboard."""

from django.urls import path

from . import views

urlpatterns: list = [path("dashboard/", views.dashboard, name="dashboard")]
