"""Misbehaving clients: fuzzed requests and frames, forged tokens, floods, brute force."""
