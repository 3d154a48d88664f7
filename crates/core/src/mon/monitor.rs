//! The Monitor: bootstrap, probing, election entry and exit, message gates.
