"""Corridor: an agent-based simulation of trafficking displacement in the Mesoamerican corridor."""

__version__ = "0.1.0"
