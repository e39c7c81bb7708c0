"""Included by enforcement/urls.py (namespace "enforcement")."""

from django.urls import path

from . import views

urlpatterns = [
    path("remediation/", views.case_list, name="remediation_case_list"),
    path("remediation/cases/<int:pk>/", views.case_detail, name="remediation_case_detail"),
    path("remediation/steps/", views.step_list, name="remediation_step_list"),
    path("remediation/lists/", views.step_lists, name="remediation_lists"),
    path("remediation/lists/issue/", views.list_issue, name="remediation_list_issue"),
    path("remediation/lists/issues/<int:pk>/csv/", views.issue_csv, name="remediation_issue_csv"),
    path("remediation/policy/", views.policy, name="remediation_policy"),
    path("remediation/outcomes/", views.outcomes, name="remediation_outcomes"),
    path("remediation/outcomes/<int:pk>/", views.outcome_job, name="remediation_outcome_job"),
]
