"""Where wikiscore keeps its state and how it is configured.

Owns the data directory (``WIKISCORE_HOME``, default ``$XDG_DATA_HOME/wikiscore`` or
``~/.local/share/wikiscore``) and the optional TOML config file (``WIKISCORE_CONFIG``, default
``$WIKISCORE_HOME/config.toml``). Everything stateful (SQLite store, caches, logs, the local demo
wiki) lives under the data directory. Also finds the source checkout the code runs from
(:func:`repo_root`), against which default data paths such as ``../shared/data`` resolve. Must not
know about wikis, models or HTTP: other packages read their own sections of the config through
:func:`load_config`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from wikiscore.errors import ConfigError

DEFAULT_CONTACT = "https://github.com/wikiscore/wikiscore"
_PACKAGE_DIR = Path(__file__).resolve().parent


def home_dir() -> Path:
    """The data directory, created on first use."""
    explicit = os.environ.get("WIKISCORE_HOME")
    if explicit:
        home = Path(explicit).expanduser()
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        home = Path(xdg) / "wikiscore"
    home.mkdir(parents=True, exist_ok=True)
    return home


def config_path() -> Path:
    explicit = os.environ.get("WIKISCORE_CONFIG")
    return Path(explicit).expanduser() if explicit else home_dir() / "config.toml"


def load_config() -> dict[str, Any]:
    """The parsed config file, or an empty dict when there is none."""
    path = config_path()
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc


def store_path() -> Path:
    """The embedded SQLite store (``WIKISCORE_STORE`` overrides, e.g. for tests)."""
    explicit = os.environ.get("WIKISCORE_STORE")
    return Path(explicit).expanduser() if explicit else home_dir() / "wikiscore.sqlite3"


def logs_dir() -> Path:
    path = home_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def repo_root(start: Path | None = None) -> Path | None:
    """The wikiscore source checkout that ``start`` lies in, or None when there is none.

    A checkout is the nearest directory at or above ``start`` holding ``pyproject.toml``, and
    it must hold ``src/wikiscore`` too. By default ``start`` is this package, and the checkout
    must be the one this very code runs from (an editable install): a wheel install gives None,
    even one in a virtualenv kept inside a checkout, rather than a path that only looks right.
    """
    here = (start if start is not None else _PACKAGE_DIR).resolve()
    for directory in (here, *here.parents):
        if (directory / "pyproject.toml").is_file():
            package = directory / "src" / "wikiscore"
            if not package.is_dir() or (start is None and package.resolve() != _PACKAGE_DIR):
                return None
            return directory
    return None


def user_agent(contact: str | None = None) -> str:
    """The descriptive User-Agent Wikimedia's policy asks for, with a way to reach the operator."""
    from wikiscore import __version__

    contact = contact or os.environ.get("WIKISCORE_CONTACT") or _config_contact() or DEFAULT_CONTACT
    return f"wikiscore/{__version__} ({contact}) python-httpx"


def _config_contact() -> str | None:
    try:
        value = load_config().get("client", {}).get("contact")
    except ConfigError:
        return None
    return str(value) if value else None
