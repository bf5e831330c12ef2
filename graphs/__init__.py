"""Hopper graphs package."""
