from .views import actions, checklists, field, findings, offline, planning, risk, sanctions, sections, tasks

app_name = "inspections"

urlpatterns = [
    *planning.urlpatterns,
    *tasks.urlpatterns,
    *findings.urlpatterns,
    *sanctions.urlpatterns,
    *actions.urlpatterns,
    *checklists.urlpatterns,
    *sections.urlpatterns,
    *offline.urlpatterns,  # before field's: my-tasks/sw.js and the like
    *field.urlpatterns,
    *risk.urlpatterns,
]
