"""Threshold models of collective action: Granovetter (1978), Kuran (1989, 1995) and Watts
(2002). ODD+D: docs/odd/thresholds.md."""
