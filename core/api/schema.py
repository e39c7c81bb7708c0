"""drf-spectacular post-processing: the error answers every operation can give, documented truthfully.

DRF answers 401 without a valid token, 403 for a role or object the caller may not use, 400 for a body or a
filter it cannot accept (a dict of field -> messages, or {"detail": ...}; core.middleware.InputCleaningMiddleware
too), 404 for an object that is not there or not the caller's (the same answer). Found by schemathesis
(tests/core/test_fuzz_api.py): these were answered but not in the schema.
"""

ERROR = {
    "type": "object",
    "description": 'Either {"detail": "..."} or, for invalid input, field names mapped to lists of messages.',
    "additionalProperties": True,
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


ANSWERS = {
    "400": "Input that cannot be accepted (a field, a filter, a control character); nothing was changed.",
    "401": "No valid token or session.",
    "403": "The caller's role may not do this.",
}
BAD_CURSOR = "A `cursor` that is not one this list gave (DRF's cursor pagination answers 404)."
NOT_FOUND = "Not there, or outside the caller's provinces (the same answer)."


def document_error_answers(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in ANSWERS.items():
                responses.setdefault(status, _error(description))
            if "{" in path:
                responses.setdefault("404", _error(NOT_FOUND))
            elif any(parameter.get("name") == "cursor" for parameter in operation.get("parameters", [])):
                responses.setdefault("404", _error(BAD_CURSOR))
    return result
