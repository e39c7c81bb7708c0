"""Pages of reports.monthly."""

urlpatterns: list = []
