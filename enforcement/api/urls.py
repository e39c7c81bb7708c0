"""The enforcement app's REST API, one sub-package per subject."""

from ..campaigns.api.urls import urlpatterns as campaigns_urlpatterns
from ..remediation.api.urls import urlpatterns as remediation_urlpatterns
from ..sanctions.api.urls import urlpatterns as sanctions_urlpatterns

urlpatterns: list = [*remediation_urlpatterns, *sanctions_urlpatterns, *campaigns_urlpatterns]
