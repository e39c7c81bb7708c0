"""Pages of reports.subjects."""

urlpatterns: list = []
