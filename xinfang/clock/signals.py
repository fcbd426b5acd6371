"""Signals for apps that keep clocks: the clock app does not know who depends on it."""

from django.dispatch import Signal

# Sent after commit when a year's schedule changed (e.g. the official schedule was loaded);
# kwargs: years (frozenset[int]).
calendar_changed = Signal()
