//! The difference between two versions of the lifecycle, and whether the new one grants new access.
