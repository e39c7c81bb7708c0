from .views import actions, checklists, field, findings, planning, risk, sanctions, sections, tasks

app_name = "inspections"

urlpatterns = [
    *planning.urlpatterns,
    *tasks.urlpatterns,
    *findings.urlpatterns,
    *sanctions.urlpatterns,
    *actions.urlpatterns,
    *checklists.urlpatterns,
    *sections.urlpatterns,
    *field.urlpatterns,
    *risk.urlpatterns,
]
