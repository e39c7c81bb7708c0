"""Pages of reports.dashboard."""

urlpatterns: list = []
