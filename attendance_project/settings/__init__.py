"""Settings modules: `production` (the server, the default everywhere), `test` (pytest).

Select one with DJANGO_SETTINGS_MODULE; both start from `base`, which reads the environment.
"""
