"""Citizen status codes: small integers in one int8 column."""

QUIET = 0
ACTIVE = 1
JAILED = 2
EMIGRATED = 3
DEAD = 4

NAMES = ("quiet", "active", "jailed", "emigrated", "dead")
N_STATUS = len(NAMES)
