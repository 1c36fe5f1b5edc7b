"""CSV cells a spreadsheet will not run: every field quoted, formula prefixes neutralised.

Quoting every field keeps a `;` or `,` inside a value from splitting it into a new cell in
any locale. A value that starts (after any blank) with a formula prefix, in ASCII or in its
full-width form (which spreadsheets fold to ASCII), gets a leading apostrophe.
"""

import csv

FORMULA_PREFIXES = ("=", "+", "-", "@", "|", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\uff5c")
QUOTING = csv.QUOTE_ALL


def safe_cell(value: str) -> str:
    """Return the text with a leading apostrophe when a spreadsheet would read it as a formula."""
    stripped = value.lstrip(" \u3000")
    if value.startswith(FORMULA_PREFIXES) or stripped.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
