from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from . import selectors
from .filters import AgentFilter


@login_required
@permission_required("agents.view_agent", raise_exception=True)
def agent_list(request):
    filterset = AgentFilter(request.GET, queryset=selectors.agent_list(user=request.user), request=request)
    return render(request, "agents/agent_list.html", {"filter": filterset})
