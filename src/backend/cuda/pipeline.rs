//! Device-resident models (placeholder, filled below).
