"""API of reports.monthly."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("reports/monthly/<str:month>/", views.MonthlyFiguresApi.as_view(), name="monthly_figures"),
]
