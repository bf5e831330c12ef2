"""Hopper agent package."""
