"""Helpers for the reconstruction of Zhang & Adachi (1999): every computation the notebooks show."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository root, defined here only
