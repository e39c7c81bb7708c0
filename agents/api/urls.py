"""/api/v1/agents/ and /api/v1/points/ (names under the "api" namespace, e.g. api:agent_detail)."""

from django.urls import path

from ..blacklist.api import urls as blacklist_urls
from . import views

urlpatterns = [
    path("agents/", views.AgentListApi.as_view(), name="agent_list"),
    path("agents/<int:pk>/", views.AgentDetailApi.as_view(), name="agent_detail"),
    *(
        path(f"agents/<int:pk>/{action}/", views.AgentStatusApi.as_view(status_action=action), name=f"agent_{action}")
        for action in views.STATUS_ACTIONS
    ),
    path("points/", views.PointListApi.as_view(), name="point_list"),
    path("points/<int:pk>/", views.PointDetailApi.as_view(), name="point_detail"),
    *(
        path(f"points/<int:pk>/{action}/", views.PointStatusApi.as_view(status_action=action), name=f"point_{action}")
        for action in views.STATUS_ACTIONS
    ),
    *blacklist_urls.urlpatterns,
]
