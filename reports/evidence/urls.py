"""Pages of reports.evidence."""

urlpatterns: list = []
