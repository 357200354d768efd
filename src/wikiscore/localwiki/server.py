"""Create, serve, fill and stop a throwaway local MediaWiki (tests, demo, benchmarks).

Owns one wiki directory: ``LocalSettings.php`` and the SQLite files of a MediaWiki 1.39 from
Debian's ``mediawiki`` package, served by PHP's built-in web server on 127.0.0.1 behind a small
router (``php/router.php``) that logs requests and can inject faults in front of the real wiki.
Must not be imported by the scoring path; installs nothing (``scripts/install-system.sh`` does).

Directory layout (everything the wiki needs lives here; ``rm -rf`` after :func:`stop_wiki`)::

    LocalSettings.php  data/*.sqlite   localwiki.json (port, dbname, lang)
    server.pid  server.log  access.log  imported-<sha256>  faults.json  fake-lag

Test aids: :func:`set_fake_lag` (replication lag reported to ``maxlag``), :func:`set_faults`
(delay, HTTP status + Retry-After, truncated or non-JSON bodies: see ``php/router.php``),
:func:`access_log` (one dict per request the wiki received).
"""

from __future__ import annotations

import bz2
import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from wikiscore.errors import ConfigError, WikiscoreError
from wikiscore.wikis import Wiki

PHP_DIR = Path(__file__).resolve().parent / "php"
ADMIN_USER = "Admin"
DEFAULT_PASSWORD = "Admin-pass-12345"
#: Groups of the Admin account: sysop and bureaucrat, plus suppress (revision suppression).
ADMIN_GROUPS = ("sysop", "bureaucrat", "interface-admin", "suppress")
_STATE_FILE = "localwiki.json"
_START_TIMEOUT = 30.0
_DAY = timedelta(days=1)


class LocalWikiError(WikiscoreError):
    """The local wiki could not be created, filled, started or stopped (says which step)."""

    error_type = "local_wiki_error"


@dataclass(frozen=True)
class LocalWiki:
    """A running local wiki. ``password`` is that of Admin and of every user created from dumps."""

    directory: Path
    port: int
    api_url: str
    dbname: str
    lang: str = "en"
    admin_user: str = ADMIN_USER
    password: str = DEFAULT_PASSWORD

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def index_url(self) -> str:
        return f"{self.base_url}/index.php"

    def as_wiki(self) -> Wiki:
        return Wiki(dbname=self.dbname, api_url=self.api_url, lang=self.lang, local=True)


# -- public API ---------------------------------------------------------------------------------


def mediawiki_home() -> Path:
    """The MediaWiki code tree (read-only, shared by all local wikis)."""
    return Path(os.environ.get("WIKISCORE_MW_HOME", "/usr/share/mediawiki"))


def start_wiki(
    directory: Path,
    *,
    port: int | None = None,
    dumps: Sequence[Path] = (),
    dbname: str = "localwiki",
    lang: str = "en",
) -> LocalWiki:
    """Create (once), import each dump (once per content), serve (unless already up).

    Idempotent: a second call with the same directory returns the running wiki. ``port=None``
    reuses the previous port when it is free, otherwise picks a free one. Takes a few seconds
    for a new wiki; well under a second for one that is already running.
    """
    directory = Path(directory).expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    _check_mediawiki()
    with _locked(directory):
        state = _read_state(directory)
        if state and (state.get("dbname"), state.get("lang")) != (dbname, lang):
            raise LocalWikiError(
                f"{directory} holds wiki {state.get('dbname')!r} ({state.get('lang')}), "
                f"not {dbname!r} ({lang}); use another directory"
            )
        if not (directory / "LocalSettings.php").exists():
            _install(directory, dbname=dbname, lang=lang)
        for dump in dumps:
            import_dump(directory, Path(dump))
        running = _running_port(directory)
        if running is not None:
            if port is not None and port != running:
                raise LocalWikiError(
                    f"the wiki in {directory} is already serving on port {running}, not {port};"
                    " stop it first"
                )
            port = running
        else:
            previous = state.get("port") if state else None
            if port is None:
                port = previous if previous and _port_free(previous) else _free_port()
            _serve(directory, port)
        _write_state(directory, {"port": port, "dbname": dbname, "lang": lang})
    return _local_wiki(directory, port, dbname, lang)


def stop_wiki(directory: Path) -> None:
    """Stop the server (its whole process group). Keeps the data; does nothing if not running."""
    directory = Path(directory).expanduser().resolve()
    pid_file = directory / "server.pid"
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().strip())
    except ValueError:
        pid_file.unlink(missing_ok=True)
        return
    if _is_our_server(pid, directory):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


def wiki_status(directory: Path) -> dict[str, Any]:
    """What is known about the wiki in ``directory`` (installed, running, port, api_url, dumps)."""
    directory = Path(directory).expanduser().resolve()
    state = _read_state(directory) or {}
    port = _running_port(directory)
    return {
        "directory": str(directory),
        "installed": (directory / "LocalSettings.php").exists(),
        "running": port is not None,
        "port": port if port is not None else state.get("port"),
        "api_url": f"http://127.0.0.1:{port}/api.php" if port is not None else None,
        "dbname": state.get("dbname"),
        "lang": state.get("lang"),
        "imported": sorted(p.name.removeprefix("imported-") for p in directory.glob("imported-*")),
    }


def local_wiki(directory: Path) -> LocalWiki:
    """The running wiki in ``directory`` (raises LocalWikiError if it is not running)."""
    directory = Path(directory).expanduser().resolve()
    state = _read_state(directory)
    port = _running_port(directory)
    if state is None or port is None:
        raise LocalWikiError(f"no local wiki is running in {directory} (wikiscore wiki start)")
    return _local_wiki(directory, port, state["dbname"], state["lang"])


def run_jobs(directory: Path) -> None:
    """Run the queued jobs (link tables, the ``mw-reverted`` tag after a revert, …)."""
    run_maintenance(directory, "runJobs", "--quiet")


def run_maintenance(directory: Path, script: str, *args: str) -> str:
    """Run ``maintenance/<script>.php`` (or a path to a PHP maintenance script) for this wiki."""
    directory = Path(directory).expanduser().resolve()
    path = Path(script) if script.endswith(".php") else mediawiki_home() / "maintenance" / script
    if path.suffix != ".php":
        path = path.with_suffix(".php")
    proc = subprocess.run(
        ["php", str(path), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=_php_env(directory),
        cwd=directory,
    )
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip()[-2000:]
        raise LocalWikiError(f"{path.name} failed (exit {proc.returncode}): {detail}")
    return proc.stdout.decode("utf-8", "replace")


def create_users(directory: Path, users: Sequence[Mapping[str, Any]]) -> None:
    """Create or update accounts: each ``{"name", "password", "groups", "registration"}``.

    ``registration`` (datetime, ISO string or None) lets imported history look real: accounts
    registered before their first edit, a vandal's account a few minutes before.
    """
    specs = []
    for user in users:
        registration = user.get("registration")
        if isinstance(registration, str):
            registration = datetime.fromisoformat(registration.replace("Z", "+00:00"))
        specs.append(
            {
                "name": user["name"],
                "password": user.get("password") or DEFAULT_PASSWORD,
                "groups": list(user.get("groups") or ()),
                "registration": registration.astimezone(UTC).strftime("%Y%m%d%H%M%S")
                if registration
                else None,
            }
        )
    if not specs:
        return
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=directory, delete=False) as fh:
        json.dump(specs, fh)
    try:
        run_maintenance(directory, str(PHP_DIR / "create_users.php"), fh.name)
    finally:
        os.unlink(fh.name)


def create_bot_password(
    directory: Path, user: str, appid: str = "wikiscore", grants: Sequence[str] = ("basic",)
) -> str:
    """Create a bot password (Special:BotPasswords) and return its login name ``user@appid``.

    The password is :data:`DEFAULT_PASSWORD`-derived and returned by :func:`bot_password_for`.
    """
    password = bot_password_for(appid)
    run_maintenance(
        directory,
        "createBotPassword",
        f"--appid={appid}",
        f"--grants={','.join(grants)}",
        user,
        password,
    )
    return f"{user}@{appid}"


def bot_password_for(appid: str) -> str:
    """Bot passwords must be 32 characters: a fixed, reproducible one per application id."""
    return hashlib.sha256(f"wikiscore-local-{appid}".encode()).hexdigest()[:32]


def import_dump(directory: Path, dump: Path) -> bool:
    """Import an XML dump (``.xml``, ``.xml.bz2`` or ``.xml.gz``) once; True if imported now.

    The dump's registered editors become local accounts first (bots in the ``bot`` group,
    registered 30 days before their first edit unless ``<dump>.users.json`` says otherwise:
    ``{"Name": {"groups": [...], "registration": "2016-01-01T00:00:00Z"}}``), so imported edits
    carry real user ids. Then rebuilds recentchanges, site statistics and edit counts.
    """
    directory = Path(directory).expanduser().resolve()
    dump = Path(dump).expanduser().resolve()
    if not dump.is_file():
        raise LocalWikiError(f"no such dump file: {dump}")
    marker = directory / f"imported-{_sha256(dump)}"
    if marker.exists():
        return False
    create_users(directory, _dump_users(dump))
    if dump.suffix == ".xml":
        run_maintenance(directory, "importDump", "--quiet", str(dump))
    else:  # PHP here has no bz2 extension: decompress next to the wiki, import, delete
        with tempfile.NamedTemporaryFile(suffix=".xml", dir=directory) as plain:
            with _open_dump(dump) as stream:
                shutil.copyfileobj(stream, plain, 1 << 20)
            plain.flush()
            run_maintenance(directory, "importDump", "--quiet", plain.name)
    run_maintenance(directory, "rebuildrecentchanges")  # imports do not write recentchanges
    run_maintenance(directory, "initSiteStats", "--update")
    run_maintenance(directory, "initEditCount")
    run_jobs(directory)
    marker.write_text(str(dump) + "\n")
    return True


def set_fake_lag(directory: Path, seconds: int | None) -> None:
    """Make the API report ``seconds`` of replication lag (None: no lag)."""
    path = Path(directory) / "fake-lag"
    if seconds is None:
        path.unlink(missing_ok=True)
    else:
        _atomic_write(path, str(int(seconds)))


def set_faults(directory: Path, faults: Sequence[Mapping[str, Any]]) -> None:
    """Inject faults in front of the real wiki (see ``php/router.php`` for the kinds)."""
    for fault in faults:
        if fault.get("kind") not in ("delay", "status", "truncate"):
            raise ConfigError(f"unknown fault kind {fault.get('kind')!r}")
    _atomic_write(Path(directory) / "faults.json", json.dumps({"faults": list(faults)}))


def clear_faults(directory: Path) -> None:
    (Path(directory) / "faults.json").unlink(missing_ok=True)


def access_log(directory: Path) -> list[dict[str, Any]]:
    """Every request the wiki received since the log was last cleared (oldest first)."""
    path = Path(directory) / "access.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def clear_access_log(directory: Path) -> None:
    path = Path(directory) / "access.log"
    if path.exists():
        path.write_text("")


# -- creating the wiki --------------------------------------------------------------------------


def _check_mediawiki() -> None:
    if not (mediawiki_home() / "maintenance" / "install.php").exists():
        raise LocalWikiError(
            f"MediaWiki is not installed at {mediawiki_home()} "
            "(run scripts/install-system.sh as root, or set WIKISCORE_MW_HOME)"
        )
    if shutil.which("php") is None:
        raise LocalWikiError("php is not installed (run scripts/install-system.sh as root)")


def _install(directory: Path, *, dbname: str, lang: str) -> None:
    data, new = directory / "data", directory / "new"
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(new, ignore_errors=True)
    data.mkdir()
    new.mkdir()
    env = _php_env(directory)
    env.pop("MW_CONFIG_FILE")  # the installer must not read a half-made LocalSettings.php
    args = [
        "php",
        str(mediawiki_home() / "maintenance" / "install.php"),
        "--dbtype=sqlite",
        f"--dbpath={data}",
        f"--dbname={dbname}",
        "--server=http://127.0.0.1",
        "--scriptpath=",
        f"--lang={lang}",
        f"--pass={DEFAULT_PASSWORD}",
        f"--confpath={new}",
        "--skins=Vector",
        "--extensions=Cite,ParserFunctions",
        f"wikiscore local wiki ({dbname})",
        ADMIN_USER,
    ]
    proc = subprocess.run(args, capture_output=True, env=env, cwd=directory)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).decode("utf-8", "replace")[-2000:]
        raise LocalWikiError(f"MediaWiki install failed: {detail}")
    settings = (
        (new / "LocalSettings.php")
        .read_text()
        .replace("'synchronous' => 'NORMAL'", "'synchronous' => 'OFF'")
    )
    extra = (PHP_DIR / "settings.php").read_text().removeprefix("<?php\n")
    (directory / "LocalSettings.php").write_text(settings + "\n" + extra)
    shutil.rmtree(new)
    create_users(directory, [{"name": ADMIN_USER, "groups": ADMIN_GROUPS}])


def _dump_users(dump: Path) -> list[dict[str, Any]]:
    """Registered editors of a dump with groups and registration (see :func:`import_dump`)."""
    first_edit: dict[str, datetime] = {}
    with _open_dump(dump) as stream:
        name: str | None = None
        last_stamp: datetime | None = None
        for _event, elem in ET.iterparse(stream, events=("end",)):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "username":
                name = (elem.text or "").strip() or None
            elif tag == "timestamp":
                stamp = datetime.fromisoformat((elem.text or "").replace("Z", "+00:00"))
                last_stamp = stamp
            elif tag == "revision":
                if (
                    name
                    and last_stamp
                    and (name not in first_edit or last_stamp < first_edit[name])
                ):
                    first_edit[name] = last_stamp
                name = None
                elem.clear()
            elif tag == "page":
                elem.clear()
    overrides = _users_sidecar(dump)
    users = []
    for user, first in sorted(first_edit.items()):
        spec: dict[str, Any] = {
            "name": user,
            "groups": ["bot"] if user.lower().endswith("bot") else [],
            "registration": first - timedelta(days=30),
        }
        spec.update(overrides.get(user, {}))
        users.append(spec)
    return users


def _users_sidecar(dump: Path) -> dict[str, dict[str, Any]]:
    stem = dump.name
    for suffix in (".bz2", ".gz", ".xml"):
        stem = stem.removesuffix(suffix)
    sidecar = dump.with_name(stem + ".users.json")
    if not sidecar.exists():
        return {}
    data = json.loads(sidecar.read_text())
    if not isinstance(data, dict):
        raise LocalWikiError(f"{sidecar}: expected an object of user name → settings")
    return data


def _open_dump(dump: Path) -> IO[bytes]:
    if dump.name.endswith(".bz2"):
        return bz2.open(dump, "rb")
    if dump.name.endswith(".gz"):
        return gzip.open(dump, "rb")  # type: ignore[return-value]  # GzipFile is a binary IO
    return dump.open("rb")


# -- serving ------------------------------------------------------------------------------------


def _serve(directory: Path, port: int) -> None:
    if not _port_free(port):
        raise LocalWikiError(f"port {port} on 127.0.0.1 is already in use by another program")
    env = _php_env(directory)
    env["PHP_CLI_SERVER_WORKERS"] = os.environ.get("WIKISCORE_WIKI_WORKERS", "4")
    log = (directory / "server.log").open("ab")
    args = [
        "php",
        "-d",
        "opcache.enable_cli=1",  # the built-in server is the CLI SAPI: cache compiled MediaWiki
        "-d",
        "opcache.validate_timestamps=0",
        "-d",
        "opcache.memory_consumption=256",
        "-d",
        "zlib.output_compression=On",  # gzip when the client asks, like Wikimedia's CDN
        "-S",
        f"127.0.0.1:{port}",
        "-t",
        str(mediawiki_home()),
        str(PHP_DIR / "router.php"),
    ]
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=directory,
        start_new_session=True,  # the server and its workers form one process group
    )
    log.close()
    (directory / "server.pid").write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + _START_TIMEOUT
    while not _api_up(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_wiki(directory)
            tail = (directory / "server.log").read_text(errors="replace")[-2000:]
            raise LocalWikiError(f"the wiki server did not start on port {port}:\n{tail}")
        time.sleep(0.05)


def _running_port(directory: Path) -> int | None:
    pid_file = directory / "server.pid"
    state = _read_state(directory)
    if not pid_file.exists() or not state:
        return None
    try:
        pid = int(pid_file.read_text().strip())
    except ValueError:
        return None
    port = state.get("port")
    if not port or not _is_our_server(pid, directory) or not _api_up(port):
        return None
    return int(port)


def _api_up(port: int) -> bool:
    url = f"http://127.0.0.1:{port}/api.php?action=query&meta=siteinfo&format=json"
    request = urllib.request.Request(url, headers={"X-Wikiscore-No-Fault": "1"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return bool(json.loads(response.read()).get("query"))
    except (OSError, ValueError, urllib.error.URLError):
        return False


def _is_our_server(pid: int, directory: Path) -> bool:
    """The pid is alive and is a PHP server started for this directory (not a recycled pid)."""
    if not _alive(pid):
        return False
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the pid file
    return f"WIKISCORE_WIKI_DIR={directory}".encode() in environ


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as dead.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return True


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like PHP's server: connections of a stopped server in TIME_WAIT do not block the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- small helpers ------------------------------------------------------------------------------


def _local_wiki(directory: Path, port: int, dbname: str, lang: str) -> LocalWiki:
    return LocalWiki(
        directory=directory,
        port=port,
        api_url=f"http://127.0.0.1:{port}/api.php",
        dbname=dbname,
        lang=lang,
    )


def _php_env(directory: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["MW_CONFIG_FILE"] = str(directory / "LocalSettings.php")
    env["MW_INSTALL_PATH"] = str(mediawiki_home())
    env["WIKISCORE_WIKI_DIR"] = str(directory)
    return env


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with (directory / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_state(directory: Path) -> dict[str, Any] | None:
    path = directory / _STATE_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _write_state(directory: Path, state: dict[str, Any]) -> None:
    _atomic_write(directory / _STATE_FILE, json.dumps(state))


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
