"""The enforcement app's REST API."""

from ..remediation.api.urls import urlpatterns as remediation_urlpatterns

urlpatterns: list = [*remediation_urlpatterns]
