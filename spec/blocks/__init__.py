"""Symbolic layers of stage three: SymPy derivations, proofs and the mpmath oracle."""
