"""Mechanisms: one module per mechanism. Classic models (Epstein, Granovetter, Kuran, Watts)
and the country model's mechanisms 1-11 (grievance ... economy)."""
