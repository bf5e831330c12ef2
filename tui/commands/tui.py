"""`hopper tui --index DIR`: the interactive terminal app (also plain `hopper` with index_dir set)."""

from __future__ import annotations

import argparse

from tui.common import (
    add_index_arg,
    add_lm_args,
    add_max_rounds_arg,
    add_min_confidence_arg,
    config_from_args,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_index_arg(p)
    add_lm_args(p)
    p.add_argument("--mode", choices=["agent", "rag", "closed"], default=None,
                   help="how questions are answered")
    add_max_rounds_arg(p)
    add_min_confidence_arg(p)
    p.add_argument("--session", type=int, default=None, metavar="ID", help="reopen a saved session")
    p.add_argument("--sessions-db", default=None, metavar="FILE",
                   help="sessions database (default: sessions.sqlite3 in the user data directory)")


def run(args: argparse.Namespace) -> int:
    import logging

    from tui.app import make_app
    from tui.common import require_index
    from tui.sessions import SessionStore

    cfg = config_from_args(args)
    store = SessionStore(getattr(args, "sessions_db", None))
    if getattr(args, "session", None) is not None:  # the session's own index (and LM, unless --lm)
        from tools.errors import ConfigError
        from tui.sessions import session_index

        info = store.get_session(args.session)
        if info is None:
            raise ConfigError(f"no saved session {args.session}; list them with ctrl+r in `hopper tui`")
        cfg.index_dir = session_index(info, getattr(args, "index", None)) or cfg.index_dir
        if info.model and getattr(args, "lm", None) is None:
            cfg.lm.model = info.model
    if cfg.agent.mode != "closed":
        require_index(cfg)
    # Log records would draw over the screen: send them to a file while the app runs.
    root = logging.getLogger()
    handlers = root.handlers[:]
    for h in handlers:
        root.removeHandler(h)
    root.addHandler(_log_file_handler())
    try:
        make_app(cfg, store=store, session_id=getattr(args, "session", None)).run()
    finally:
        root.handlers[:] = handlers
        store.close()
    return 0


def _log_file_handler():
    import logging
    from pathlib import Path

    from platformdirs import user_log_dir

    try:
        path = Path(user_log_dir("hopper")) / "tui.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    except OSError:
        handler = logging.NullHandler()
    return handler
