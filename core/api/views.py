from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .serializers import MeOutputSerializer


class MeApi(APIView):
    """Who the caller is: role and provinces in scope (useful to check an integration token)."""

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        return Response(MeOutputSerializer(request.user).data)
