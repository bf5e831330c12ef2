"""Screens of the Hopper TUI, one module each.

This package imports none of them: `tui.app` imports the main screen at start and the
others (sessions, corpus, settings) when first opened, so they cost nothing until used.
"""
