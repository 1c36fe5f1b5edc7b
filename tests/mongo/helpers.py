"""Small assertions shared by the MongoDB tests."""

from bson import ObjectId


def is_object_id_string(value: object) -> bool:
    """Tell whether a value is an ObjectId as the API shows it: a 24-hex string."""
    return isinstance(value, str) and len(value) == 24 and ObjectId.is_valid(value)


# Ids that name nothing: not an ObjectId at all, numbers, and a well-formed ObjectId of no row.
UNKNOWN_IDS = ["someid", "123", "abcdefghijkl", "507f1f77bcf86cd799439011"]
