"""API of reports.subjects."""

urlpatterns: list = []
