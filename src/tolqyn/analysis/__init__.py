"""Analysis of simulation output series (outbursts and waiting times of the classic models)."""

from tolqyn.analysis.outbursts import outburst_spans, summarize, total_activation, waiting_times

__all__ = ["outburst_spans", "summarize", "total_activation", "waiting_times"]
