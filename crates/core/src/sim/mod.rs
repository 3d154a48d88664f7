//! The deterministic simulator: virtual clock, event queue, network, faults.
