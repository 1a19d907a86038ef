"""The exit model: the country model plus the mechanisms that matter over years (media diet,
exchange rate, corruption drift, emigration hazard, destinations). ODD+D: docs/odd/exit.md."""
