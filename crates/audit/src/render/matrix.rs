//! The authority matrix in every format.
