"""API of reports.evidence."""

urlpatterns: list = []
