"""Hopper tui package."""
