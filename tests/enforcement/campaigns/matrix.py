"""The campaign objects the access matrix's URLs open, made on first use from the scene's points (in Hà Nội,
in TP Hồ Chí Minh), so scenes of other URLs pay nothing for them."""

import datetime as dt

from django.utils import timezone

from enforcement.campaigns.models import Campaign


def campaign_for(point) -> Campaign:
    campaign = Campaign.objects.filter(point=point).first()
    if campaign is None:
        today = timezone.localdate()
        campaign = Campaign.objects.create(
            subject_type=Campaign.Subject.POINT,
            point=point,
            province_id=point.province_id,
            period_from=today - dt.timedelta(days=30),
            period_until=today + dt.timedelta(days=1),
            trigger=Campaign.Trigger.MANAGER,
            reason="Access matrix campaign",
        )
    return campaign


def create_body(_o=None) -> dict:
    today = timezone.localdate()
    return {
        "subject_type": "POINT",
        "code": "MATRIX-NONE",
        "period_from": (today - dt.timedelta(days=30)).isoformat(),
        "period_until": today.isoformat(),
        "reason": "Access matrix: a manager's campaign",
    }


WITHDRAW_BODY = {"reason": "Access matrix: started by mistake"}
