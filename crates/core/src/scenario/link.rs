//! Share-link codec.
