"""Pixel arithmetic in NumPy only: geometry, rescale and quantisation, Decimal Strings."""
