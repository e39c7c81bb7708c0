"""Reads for the registration pages and API; every one starts from the user's province scope.

Registration.scope_province_field is "point__province": an APP-channel registration has no point,
so only users with access to every province see it (the search page says so).
"""

from dataclasses import dataclass

from core.scoping import access_object, province_scope

from ..models import Activation, Registration

RELATED_LIMIT = 50
LIST_SORTS = ("-registered_at",)


def registration_list(*, user):
    return Registration.objects.for_user(user).select_related("point", "agent")


def registration_rows(*, user):
    """registration_list with only what a row of the list shows (issue 15): not every column of the
    registration, its point and its agent, nor an address decrypted per row."""
    return (
        Registration.objects.for_user(user)
        .select_related("point")
        .only(
            "registered_at",
            "msisdn",
            "iccid",
            "subscriber_name",
            "id_doc_type",
            "id_doc_number",
            "channel",
            "population_check",
            "status",
            "point__code",
        )
    )


def registration_get(*, user, pk) -> Registration:
    return access_object(registration_list(user=user), user, pk=pk)


def activation_list(*, user):
    """Activations come from the network and have no province. A user limited to some provinces sees
    those of SIMs registered in them; a user with every province sees all, unregistered SIMs included."""
    activations = Activation.objects.all()
    if province_scope(user) is None:
        return activations
    return activations.filter(iccid__in=Registration.objects.for_user(user).values("iccid"))


@dataclass
class RelatedList:
    items: list
    more: bool  # True when there were more than `limit` and only the first ones are listed


def _limited(queryset, limit: int) -> RelatedList:
    items = list(queryset[: limit + 1])
    return RelatedList(items=items[:limit], more=len(items) > limit)


@dataclass
class RelatedRecords:
    same_document: RelatedList
    same_portrait: RelatedList
    same_sim: RelatedList
    activations: RelatedList


def related_records(*, user, registration: Registration, limit: int = RELATED_LIMIT) -> RelatedRecords:
    """Other registrations on the same ID document, with the same portrait on another document (or none),
    or of the same SIM, and the SIM's activations; each in the user's scope, newest first, at most
    `limit` (one query each)."""
    others = registration_list(user=user).exclude(pk=registration.pk).order_by("-registered_at", "-id")
    none = others.none()
    same_portrait = none
    if registration.portrait_sha256:
        same_portrait = others.filter(portrait_sha256=registration.portrait_sha256)
        if registration.id_doc_hash:
            # the same face on another document is what REUSED_PORTRAIT is about; the same document is listed above
            same_portrait = same_portrait.exclude(id_doc_hash=registration.id_doc_hash)
    return RelatedRecords(
        same_document=_limited(
            others.filter(id_doc_hash=registration.id_doc_hash) if registration.id_doc_hash else none, limit
        ),
        same_portrait=_limited(same_portrait, limit),
        same_sim=_limited(others.filter(iccid=registration.iccid), limit),
        activations=_limited(
            activation_list(user=user).filter(iccid=registration.iccid).order_by("-activated_at", "-id"), limit
        ),
    )
