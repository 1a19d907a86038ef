"""Epstein's civil violence model (2002), Models I and II, with every implementation variant of
the Ascape, NetLogo and Mesa versions as a switch. ODD+D: docs/odd/epstein.md."""
