"""The access matrix's subscriber requests (tests/test_access_matrix.py): one per scene registration, made on
first use. A request covers its registration's province ("in", "out") or none (an APP registration)."""

from reports.subjects import services
from reports.subjects.models import SubjectRequest


def subject_request_for(registration, *, done_see: bool = False) -> SubjectRequest:
    kind = "SEE" if done_see else "DELETE"
    found = SubjectRequest.objects.filter(msisdn=registration.msisdn, kind=kind).first()
    if found is not None:
        return found
    request = services.subject_request_create(kind=kind, actor=None, msisdn=registration.msisdn)
    if done_see:
        services.subject_request_verify(request=request, actor=None, method="matrix scene")
        request = services.subject_request_carry_out(request=request, actor=None)
    return request
