//! Paxos (Paxos.cc): recovery, normal rounds, leases, trim. (Filled in by the paxos work.)
