"""The enforcement app's REST API."""

urlpatterns: list = []
