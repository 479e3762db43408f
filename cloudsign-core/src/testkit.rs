//! A generated test PKI (feature `testkit`).
