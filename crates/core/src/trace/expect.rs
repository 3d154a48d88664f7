//! Expectation checks against the cluster state folded from the trace.
