"""Pages of reports.evidence."""

from django.urls import path

from . import views

urlpatterns = [
    path("sections/evidence/agents/<int:pk>/", views.agent_evidence_section, name="agent_evidence_section"),
    path("sections/evidence/points/<int:pk>/", views.point_evidence_section, name="point_evidence_section"),
    path("evidence/agents/<int:pk>/", views.agent_evidence_create, name="agent_evidence_create"),
    path("evidence/points/<int:pk>/", views.point_evidence_create, name="point_evidence_create"),
    path("evidence/packs/<int:pk>/download/", views.evidence_download, name="evidence_download"),
]
