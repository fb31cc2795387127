"""Assertions plugin tests share: ``problem(response, 422)`` checks an API error."""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["problem", "refused", "PROBLEM"]

#: The media type of the API's errors (RFC 9457).
PROBLEM = "application/problem+json"


def problem(response: Any, status: int) -> dict[str, Any]:
    """The problem document of an error response (a Flask test response), after
    checking its status, media type and RFC 9457 shape; assert on its ``errors`` or
    ``detail`` next."""
    body = response.get_json(force=True, silent=True)
    assert response.status_code == status, (response.status_code, body)
    assert response.mimetype == PROBLEM, dict(response.headers)
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body  # type: ignore[no-any-return]


def refused(call: Callable[[], Any]) -> dict[str, Any]:
    """The messages of the ``ValidationError`` that ``call()`` must raise (by field),
    for asserting on what the service layer refuses and why."""
    import pytest

    from accord.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.messages
