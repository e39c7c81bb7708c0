"""API of reports.monthly."""

urlpatterns: list = []
