"""Screens of the Hopper TUI."""

from tui.screens.corpus import CorpusScreen
from tui.screens.main import MainScreen
from tui.screens.sessions import SessionsScreen
from tui.screens.settings import SettingsScreen

__all__ = ["CorpusScreen", "MainScreen", "SessionsScreen", "SettingsScreen"]
