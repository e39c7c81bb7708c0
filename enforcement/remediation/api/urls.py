"""The remediation API (under /api/v1/, namespace "api")."""

from django.urls import path

from . import views

urlpatterns = [
    path("remediation/cases/", views.CaseListApi.as_view(), name="remediation_case_list"),
    path("remediation/cases/<int:pk>/", views.CaseDetailApi.as_view(), name="remediation_case_detail"),
    path("remediation/lists/", views.StepListApi.as_view(), name="remediation_steplist"),
    path("remediation/lists/send/", views.StepListSendApi.as_view(), name="remediation_steplist_send"),
    path("remediation/outcomes/", views.OutcomesApi.as_view(), name="remediation_outcomes"),
    path("remediation/outcomes/<int:pk>/", views.OutcomeJobApi.as_view(), name="remediation_outcome_job"),
]
