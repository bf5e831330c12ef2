"""Hopper tools package."""
