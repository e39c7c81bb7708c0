"""The enforcement app's REST API, one sub-package per subject."""

from ..remediation.api.urls import urlpatterns as remediation_urlpatterns
from ..sanctions.api.urls import urlpatterns as sanctions_urlpatterns

urlpatterns: list = [*remediation_urlpatterns, *sanctions_urlpatterns]
