"""The contract's success envelope."""

from rest_framework.response import Response


def ok(data, status: int = 200) -> Response:
    """Wrap data in `{"success": true, "data": ...}`."""
    return Response({"success": True, "data": data}, status=status)
