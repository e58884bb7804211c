"""A small fake of the Telegram Bot API over real HTTP (aiohttp), for end-to-end tests.

It runs in its own thread and event loop, so a bot in the test's loop or in a subprocess talks to
it alike. It implements getMe, getUpdates (long poll with offset), sendMessage, sendPhoto,
answerCallbackQuery, editMessageText, getFile and file download (/file/bot<token>/<path>),
setWebhook/deleteWebhook; it records every call. Tests inject updates with `message`, `photo`
and `callback`, and can make the next call of a method fail with 429 (`fail_next`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import threading
import time
from typing import Any

from aiohttp import web

BOT_USERNAMES = {"alaman": "alaman_test_bot", "bayge": "bayge_test_bot"}


class FakeTelegram:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []
        self.updates: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.usernames: dict[str, str] = {}
        self.fail: dict[str, list[int]] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeTelegram:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app)
        self.loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        if self.loop is None:
            return

        async def shutdown():
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    # --- registration ---------------------------------------------------------------------
    def register_bot(self, token: str, username: str) -> None:
        self.usernames[token] = username

    def add_file(self, data: bytes, suffix: str = "jpg") -> str:
        digest = hashlib.sha256(data).hexdigest()[:24]
        file_id = f"F{digest}"
        with self.lock:
            self.files[file_id] = (f"photos/{digest}.{suffix}", data)
        return file_id

    def fail_next(self, method: str, retry_after: int = 1) -> None:
        with self.lock:
            self.fail.setdefault(method, []).append(retry_after)

    # --- injecting updates ----------------------------------------------------------------
    @staticmethod
    def user(user_id: int, lang: str = "ru") -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"U{user_id}",
            "language_code": lang,
        }

    def _push(self, token: str, update: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            update["update_id"] = next(self._update_ids)
            self.updates.setdefault(token, []).append(update)
        return update

    def _message(self, user_id: int, lang: str, **fields) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": self.user(user_id, lang),
            **fields,
        }

    def message(self, token: str, user_id: int, text: str, lang: str = "ru") -> dict[str, Any]:
        entities = []
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        fields = {"text": text}
        if entities:
            fields["entities"] = entities
        return self._push(token, {"message": self._message(user_id, lang, **fields)})

    def photo(self, token: str, user_id: int, data: bytes, lang: str = "ru") -> dict[str, Any]:
        file_id = self.add_file(data)
        size = {
            "file_id": file_id,
            "file_unique_id": "u" + file_id[1:17],
            "width": 64,
            "height": 64,
            "file_size": len(data),
        }
        return self._push(token, {"message": self._message(user_id, lang, photo=[size])})

    def contact(
        self,
        token: str,
        user_id: int,
        phone: str,
        contact_user_id: int | None = None,
        lang: str = "ru",
    ) -> dict[str, Any]:
        """A contact shared in the chat: the contact button sends the sender's own (its
        ``user_id`` is the sender's); a forwarded contact card carries another ``user_id``."""
        shared = {"phone_number": phone, "first_name": f"U{user_id}"}
        if contact_user_id is not None:
            shared["user_id"] = contact_user_id
        return self._push(token, {"message": self._message(user_id, lang, contact=shared)})

    def callback(self, token: str, user_id: int, data: str, lang: str = "ru") -> dict[str, Any]:
        query = {
            "id": str(next(self._callback_ids)),
            "from": self.user(user_id, lang),
            "chat_instance": f"ci{user_id}",
            "data": data,
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "text": "…",
            },
        }
        return self._push(token, {"callback_query": query})

    # --- reading what the bot did -----------------------------------------------------------
    def sent(self, chat_id: int | None = None, since: int = 0) -> list[dict[str, Any]]:
        with self.lock:
            calls = list(self.calls[since:])
        return [
            c
            for c in calls
            if c["method"] in ("sendMessage", "sendPhoto", "editMessageText")
            and (chat_id is None or int(c["params"].get("chat_id", 0)) == chat_id)
        ]

    def texts(self, chat_id: int | None = None, since: int = 0) -> list[str]:
        return [c["params"].get("text", "") for c in self.sent(chat_id, since)]

    def mark(self) -> int:
        with self.lock:
            return len(self.calls)

    def methods(self) -> list[str]:
        with self.lock:
            return [c["method"] for c in self.calls]

    async def wait_for(self, predicate, timeout: float = 15.0) -> None:
        """Wait (in the caller's event loop) until `predicate()` is true."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out; calls so far: {self.methods()[-20:]}")

    def wait_for_sync(self, predicate, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; calls so far: {self.methods()[-20:]}")

    async def wait_reply(self, chat_id: int, since: int, count: int = 1, timeout: float = 15.0):
        await self.wait_for(lambda: len(self.sent(chat_id, since)) >= count, timeout)
        return self.texts(chat_id, since)

    # --- HTTP -----------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                for key, value in form.items():
                    params[key] = value if isinstance(value, str) else "<file>"
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    def _bot(self, token: str) -> dict[str, Any]:
        username = self.usernames.get(token, "test_bot")
        return {
            "id": int(token.split(":")[0]) if ":" in token else 1,
            "is_bot": True,
            "first_name": username,
            "username": username,
        }

    async def _api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await self._params(request)
        with self.lock:
            self.calls.append(
                {"token": token, "method": method, "params": params, "at": time.time()}
            )
            pending_failure = self.fail.get(method) and self.fail[method].pop(0)
        if pending_failure:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {pending_failure}",
                    "parameters": {"retry_after": pending_failure},
                },
                status=429,
            )
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        result = await handler(token, params)
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        with self.lock:
            self.calls.append(
                {"token": request.match_info["token"], "method": "file", "params": {"path": path}}
            )
            for stored_path, data in self.files.values():
                if stored_path == path:
                    return web.Response(body=data)
        return web.Response(status=404)

    async def _m_getme(self, token, params):
        return self._bot(token)

    async def _m_getupdates(self, token, params):
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                queue = self.updates.setdefault(token, [])
                if offset:
                    queue[:] = [u for u in queue if u["update_id"] >= offset]
                ready = list(queue[:100])
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.02)

    def _sent_message(self, token, params, **fields):
        chat_id = int(params.get("chat_id", 0))
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self._bot(token),
            **fields,
        }

    async def _m_sendmessage(self, token, params):
        return self._sent_message(token, params, text=params.get("text", ""))

    async def _m_sendphoto(self, token, params):
        size = {"file_id": "Fsent", "file_unique_id": "usent", "width": 1, "height": 1}
        return self._sent_message(token, params, photo=[size])

    async def _m_editmessagetext(self, token, params):
        return self._sent_message(token, params, text=params.get("text", ""))

    async def _m_answercallbackquery(self, token, params):
        return True

    async def _m_getfile(self, token, params):
        file_id = params.get("file_id", "")
        with self.lock:
            path, data = self.files.get(file_id, ("", b""))
        return {
            "file_id": file_id,
            "file_unique_id": "u" + file_id[1:17],
            "file_size": len(data),
            "file_path": path,
        }

    async def _m_setwebhook(self, token, params):
        return True

    async def _m_deletewebhook(self, token, params):
        return True
