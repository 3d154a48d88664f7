//! The config-key (kv) service, a PaxosService. (Filled in by the paxos work.)
