"""Make real edits on a local wiki through the Action API (tests, the demo edit replayer).

Owns writing to a *local* wiki as one editor: a registered user (logged in with a password or a
bot password ``User@app``), or an anonymous editor at any IPv4/IPv6 address (sent as
``X-Forwarded-For``, which the local wiki trusts from 127.0.0.1 only; see ``php/settings.php``).
Synchronous (httpx.Client): callers are test fixtures and a replay loop, not the event loop.
Must not be pointed at a public wiki: it refuses any host other than 127.0.0.1 / localhost / ::1.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx

from wikiscore.config import user_agent
from wikiscore.errors import InvalidInput, WikiscoreError

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


class EditError(WikiscoreError):
    """The wiki refused an action; ``code`` is MediaWiki's error code (e.g. ``nochange``)."""

    error_type = "edit_error"

    def __init__(self, code: str, info: str) -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info


class WikiEditor:
    """One editor on a local wiki. Use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        api_url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        ip: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        host = urlsplit(api_url).hostname or ""
        if host not in _LOCAL_HOSTS and f"[{host}]" not in _LOCAL_HOSTS:
            raise InvalidInput(f"WikiEditor only edits local wikis (127.0.0.1), not {host!r}")
        if ip is not None:
            try:
                ip = str(ipaddress.ip_address(ip))
            except ValueError as exc:
                raise InvalidInput(f"not an IPv4 or IPv6 address: {ip!r}") from exc
        if (user is None) != (password is None):
            raise InvalidInput("WikiEditor needs both user and password, or neither")
        headers = {"User-Agent": user_agent() + " localwiki-editor"}
        if ip is not None:
            headers["X-Forwarded-For"] = ip
        self.api_url = api_url
        self.user = user
        self.ip = ip
        self._http = httpx.Client(headers=headers, timeout=timeout)
        self._csrf: str | None = None
        if user is not None and password is not None:
            self._login(user, password)

    # -- context management -----------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WikiEditor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- editing ------------------------------------------------------------------------------
    def edit(
        self,
        title: str,
        text: str,
        *,
        summary: str = "",
        minor: bool = False,
        bot: bool = False,
    ) -> int:
        """Save ``text`` as the new content of ``title``; the new revision id.

        Raises EditError with code ``nochange`` when the text is already the page's text.
        """
        params: dict[str, Any] = {"title": title, "text": text, "summary": summary}
        if minor:
            params["minor"] = 1
        if bot:
            params["bot"] = 1
        return self._save(params)

    def undo(self, title: str, rev_id: int, *, summary: str = "") -> int:
        """Undo revision ``rev_id`` (tagged ``mw-undo``); the new revision id."""
        params: dict[str, Any] = {"title": title, "undo": rev_id}
        if summary:
            params["summary"] = summary
        return self._save(params)

    def rollback(self, title: str, user: str) -> int:
        """Roll back ``user``'s last consecutive edits to ``title`` (tagged ``mw-rollback``)."""
        token = self._token("rollback")
        data = self._post({"action": "rollback", "title": title, "user": user, "token": token})
        return int(data["rollback"]["revid"])

    def create_account(self, name: str, password: str) -> None:
        """Register a new account (as this editor, usually anonymous)."""
        token = self._token("createaccount")
        data = self._post(
            {
                "action": "createaccount",
                "username": name,
                "password": password,
                "retype": password,
                "createreturnurl": "http://127.0.0.1/",
                "createtoken": token,
            }
        )
        result = data.get("createaccount", {})
        if result.get("status") != "PASS":
            raise EditError(
                result.get("messagecode", "createaccount-failed"),
                result.get("message", "account creation failed"),
            )

    def page_text(self, title: str) -> str:
        """The current wikitext of ``title`` (EditError ``missingtitle`` if there is no page)."""
        data = self._get(
            {
                "action": "query",
                "prop": "revisions",
                "titles": title,
                "rvprop": "content",
                "rvslots": "main",
            }
        )
        page = data["query"]["pages"][0]
        if page.get("missing") or page.get("invalid"):
            raise EditError("missingtitle", f"the page {title!r} does not exist")
        return str(page["revisions"][0]["slots"]["main"]["content"])

    def last_rev_id(self, title: str) -> int:
        data = self._get({"action": "query", "prop": "info", "titles": title})
        page = data["query"]["pages"][0]
        if page.get("missing") or page.get("invalid"):
            raise EditError("missingtitle", f"the page {title!r} does not exist")
        return int(page["lastrevid"])

    # -- administration (needs the right groups; Admin of a local wiki has them) -------------
    def delete_revisions(
        self,
        title: str,
        rev_ids: Iterable[int],
        *,
        hide: Iterable[str] = ("content",),
        suppress: bool = False,
        reason: str = "",
    ) -> None:
        """Revision deletion: hide ``content``/``comment``/``user``; ``suppress`` hides from
        administrators too (needs the ``suppress`` group)."""
        params: dict[str, Any] = {
            "action": "revisiondelete",
            "type": "revision",
            "target": title,
            "ids": "|".join(str(i) for i in rev_ids),
            "hide": "|".join(hide),
            "reason": reason,
            "token": self._token("csrf"),
        }
        if suppress:
            params["suppress"] = "yes"
        data = self._post(params)
        for item in data.get("revisiondelete", {}).get("items", []):
            if item.get("errors"):
                raise EditError("revisiondelete", str(item["errors"]))

    def delete_page(self, title: str, *, reason: str = "") -> None:
        self._post(
            {"action": "delete", "title": title, "reason": reason, "token": self._token("csrf")}
        )

    def patrol(self, rev_id: int) -> None:
        self._post({"action": "patrol", "revid": rev_id, "token": self._token("patrol")})

    def block(self, user: str, *, expiry: str = "infinite", reason: str = "") -> None:
        self._post(
            {
                "action": "block",
                "user": user,
                "expiry": expiry,
                "reason": reason,
                "token": self._token("csrf"),
            }
        )

    # -- plumbing ---------------------------------------------------------------------------
    def _login(self, user: str, password: str) -> None:
        token = self._token("login")
        if "@" in user:  # a bot password: Name@appid
            data = self._post(
                {"action": "login", "lgname": user, "lgpassword": password, "lgtoken": token}
            )
            result = data.get("login", {})
            if result.get("result") != "Success":
                raise EditError("login-failed", str(result.get("reason", result)))
            return
        data = self._post(
            {
                "action": "clientlogin",
                "username": user,
                "password": password,
                "loginreturnurl": "http://127.0.0.1/",
                "logintoken": token,
            }
        )
        result = data.get("clientlogin", {})
        if result.get("status") != "PASS":
            raise EditError(
                result.get("messagecode", "login-failed"), result.get("message", str(result))
            )

    def _save(self, params: dict[str, Any]) -> int:
        data = self._post({"action": "edit", **params, "token": self._token("csrf")})
        result = data.get("edit", {})
        if result.get("result") != "Success":
            raise EditError("edit-failed", str(result))
        if result.get("nochange"):
            raise EditError("nochange", f"the text of {params.get('title')!r} is unchanged")
        return int(result["newrevid"])

    def _token(self, kind: str) -> str:
        if kind == "csrf" and self._csrf:
            return self._csrf
        data = self._get({"action": "query", "meta": "tokens", "type": kind})
        token = str(data["query"]["tokens"][f"{kind}token"])
        if kind == "csrf":
            self._csrf = token
        return token

    def _get(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._check(self._http.get(self.api_url, params=self._common(params)))

    def _post(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._check(self._http.post(self.api_url, data=self._common(params)))

    @staticmethod
    def _common(params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "format": "json", "formatversion": "2", "errorformat": "plaintext"}

    def _check(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise EditError(f"http-{response.status_code}", response.text[:300])
        try:
            data = response.json()
        except ValueError as exc:
            raise EditError("not-json", response.text[:300]) from exc
        errors = data.get("errors")
        if errors:
            first = errors[0]
            raise EditError(first.get("code", "error"), first.get("text", str(first)))
        return dict(data)
