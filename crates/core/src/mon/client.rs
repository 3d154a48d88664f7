//! A MonClient-like client that sends kv requests and hunts until they succeed.
