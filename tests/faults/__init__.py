"""Failures under load: killed workers, Redis restarts, stalled clients, a locked database."""
