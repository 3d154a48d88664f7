//! The cluster as the trace tells it, folded event by event.
