"""Helpers for the reconstruction of Zhang & Adachi (1999): every computation the notebooks show."""
