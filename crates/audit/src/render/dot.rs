//! Graphviz DOT exports.
