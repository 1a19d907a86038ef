"""The country model: one agent per citizen (or per `scale` citizens), regions -> localities ->
social network, and the shared mechanisms of `tolqyn.mechanisms`. ODD+D: docs/odd/country.md."""
