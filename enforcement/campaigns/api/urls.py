"""API of enforcement.campaigns (the api namespace, /api/v1/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("campaigns/", views.CampaignListApi.as_view(), name="campaign_list"),
    path("campaigns/<int:pk>/", views.CampaignDetailApi.as_view(), name="campaign_detail"),
    path("campaigns/<int:pk>/withdraw/", views.CampaignWithdrawApi.as_view(), name="campaign_withdraw"),
]
