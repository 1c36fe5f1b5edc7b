"""Argon2 tuned so a burst of logins cannot exhaust a small server's memory."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class TunedArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's minimum: 19 MiB, two passes, one lane.

    Django's default asks for 100 MiB per hash; twenty logins at once would need 2 GiB.
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
