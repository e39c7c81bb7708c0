"""API of reports.dashboard."""

urlpatterns: list = []
