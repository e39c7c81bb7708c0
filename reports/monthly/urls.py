"""Pages of reports.monthly."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("monthly/", views.monthly, name="monthly"),
    path("monthly/report.csv", views.monthly_csv, name="monthly_csv"),
    path("monthly/report.pdf", views.monthly_pdf, name="monthly_pdf"),
    path("monthly/issue/", views.monthly_issue, name="monthly_issue"),
    path("monthly/issued/<int:pk>/", views.monthly_issue_detail, name="monthly_issue_detail"),
    path("monthly/issued/<int:pk>/<str:kind>/", views.monthly_issue_file, name="monthly_issue_file"),
]
