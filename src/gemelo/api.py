"""`gemelo serve --api`: an OpenAI-compatible chat API on 127.0.0.1, for any app that speaks it.

`POST /v1/chat/completions` (streamed as server-sent events, or not) and `GET /v1/models`. Clients send plain
user/assistant messages; the server renders them exactly as training did (the twin's `ChatFormat`, its own
system prompt; a user message's `name` makes the history a group chat's, with the names shown as in
training), cuts a long history oldest-first (as `gemelo chat` does) and stops at the end of the author's
turn. A burst of several messages comes back as one assistant message whose content joins them with
newlines, plus the separate messages in the extra field `messages`. Clients' system messages are ignored:
the twin only ever saw its own.

Built on the standard library's threading HTTP server: each request has a thread, and each model generates
for one request at a time (`Twin.lock`), the others waiting in turn; a model with `MAX_WAITING` requests
already in hand refuses more with 429, so memory stays bounded however many clients call. Bad input gets an
OpenAI-style error object, never a traceback. Without `--api-key` the server listens on loopback only.
"""

from __future__ import annotations

import hmac
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from gemelo import UserError
from gemelo.chat import Sampling
from gemelo.web import Models, trained_models

MAX_BODY = 1 << 20      # bytes of a request body
MAX_WAITING = 8         # requests a model holds at once, the running one included; more get 429
ROLES = ("system", "developer", "user", "assistant")


class ApiError(Exception):
    """An error to answer with: an HTTP status and OpenAI's error object."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": kind, "param": param, "code": code}}


def model_id(target: str) -> str:
    """What clients call a model: its key (a folder's name)."""
    return Path(target).name


def loopback(host: str) -> bool:
    """Whether every address `host` stands for is this machine only."""
    import ipaddress
    import socket

    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        raise UserError(f"cannot resolve --host {host!r}: give an address such as 127.0.0.1") from None
    return bool(host) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def check_host(host: str, api_key: str | None) -> None:
    """Anything but loopback only with an API key: the twin speaks with its author's words."""
    if not api_key and not loopback(host):
        raise UserError(f"--host {host} would open the API to other machines: give an --api-key (clients send it "
                        "as their API key), or keep the default 127.0.0.1")


def _content(m: dict, i: int) -> str:
    """A message's text: a string, or OpenAI's list of text parts."""
    content = m.get("content")
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text"
                                         and isinstance(p.get("text"), str) for p in content):
        return "".join(p["text"] for p in content)
    if not isinstance(content, str):
        raise ApiError(400, f"messages[{i}].content must be a string (or a list of text parts)",
                       param=f"messages[{i}].content")
    return content


class Api:
    """The trained models behind the API, the default sampling, and the requests each model holds."""

    def __init__(self, targets: list[str], sampling: Sampling, api_key: str | None = None):
        self.models = Models(targets)
        self.targets = {model_id(t): t for t in targets}
        self.sampling, self.api_key = sampling, api_key
        self.slots = {name: threading.BoundedSemaphore(MAX_WAITING) for name in self.targets}
        self.created = int(time.time())

    def authorized(self, header: str | None) -> bool:
        if self.api_key is None:
            return True
        return hmac.compare_digest((header or "").encode(), f"Bearer {self.api_key}".encode())

    def list_models(self) -> dict:
        return {"object": "list", "data": [{"id": name, "object": "model", "created": self.created,
                                            "owned_by": "gemelo"} for name in self.targets]}

    def request(self, body: bytes) -> dict:
        """A chat completion request checked and turned into the twin's terms (history, group, sampling)."""
        try:
            req = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "the body is not JSON: send a JSON object with model and messages") from None
        if not isinstance(req, dict):
            raise ApiError(400, "the body must be a JSON object with model and messages")
        name = req.get("model")
        if name not in self.targets:
            raise ApiError(404, f"model {name!r} does not exist: use one of {', '.join(self.targets)} "
                           "(GET /v1/models)", code="model_not_found", param="model")
        messages = req.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ApiError(400, "messages must be a non-empty list of {role, content}", param="messages")
        history = []
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in ROLES:
                raise ApiError(400, f"messages[{i}].role must be one of {', '.join(ROLES)}", param=f"messages[{i}]")
            content = _content(m, i)
            if m["role"] in ("user", "assistant"):
                entry = {"role": m["role"], "content": content}
                if m["role"] == "user" and isinstance(m.get("name"), str) and m["name"].strip():
                    entry["name"] = m["name"].strip()
                history.append(entry)
        if not history:
            raise ApiError(400, "messages hold no user or assistant message (system messages are ignored: the "
                           "twin answers with the system prompt it was trained with)", param="messages")
        if req.get("n", 1) != 1:
            raise ApiError(400, "n must be 1: the twin writes one reply per request", param="n")
        overrides = {"temperature": req.get("temperature"), "top_p": req.get("top_p"), "seed": req.get("seed"),
                     "repetition_penalty": req.get("repetition_penalty"),
                     "max_new_tokens": req.get("max_completion_tokens", req.get("max_tokens"))}
        try:
            sampling = Sampling.from_config(vars(self.sampling), **overrides)
        except (UserError, TypeError) as e:
            raise ApiError(400, str(e)) from None
        options = req.get("stream_options")
        return {"model": name, "history": history, "group": any("name" in h for h in history),
                "sampling": sampling, "stream": bool(req.get("stream")),
                "usage_chunk": isinstance(options, dict) and bool(options.get("include_usage"))}

    def generate(self, req: dict, usage: dict) -> Iterator[str]:
        """The reply as it grows, as the content clients see: messages joined by newlines (each step's text
        extends the last one's, so streamed deltas add up to the final content)."""
        twin = self.models.get(self.targets[req["model"]], False)
        text, shown = "", ""
        for piece in twin.stream(req["history"], req["sampling"], req["group"], usage=usage):
            text += piece
            joined = "\n".join(twin.format.split(text))
            if len(joined) > len(shown):
                yield joined[len(shown):]
                shown = joined
        usage["messages"] = twin.format.split(text)


def chunk(base: dict, delta: dict, finish: str | None = None, **extra) -> dict:
    return {**base, "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


def usage_of(stats: dict) -> dict:
    return {"prompt_tokens": stats.get("prompt_tokens", 0), "completion_tokens": stats.get("completion_tokens", 0),
            "total_tokens": stats.get("prompt_tokens", 0) + stats.get("completion_tokens", 0)}


class Handler(BaseHTTPRequestHandler):
    """One request; `server.api` is the Api."""

    server_version = "gemelo"
    timeout = 60  # seconds a client may take to send its request

    def do_GET(self) -> None:
        self._guarded(lambda: self._json(200, self.server.api.list_models()) if self.path.rstrip("/") in (
            "/v1/models", "/models") else self._not_found())

    def do_POST(self) -> None:
        self._guarded(lambda: self._complete() if self.path.rstrip("/") in (
            "/v1/chat/completions", "/chat/completions") else self._not_found())

    def _not_found(self) -> None:
        raise ApiError(404, f"no route {self.command} {self.path}: use POST /v1/chat/completions or GET /v1/models",
                       code="not_found")

    def _guarded(self, handle) -> None:
        """Authentication, then the handler; every failure is an error object, never a traceback."""
        try:
            if not self.server.api.authorized(self.headers.get("Authorization")):
                raise ApiError(401, "missing or wrong API key: send the header Authorization: Bearer <key>",
                               code="invalid_api_key")
            handle()
        except ApiError as e:
            self._json(e.status, e.body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:  # a bug: the client gets its kind, the server's console the traceback
            import traceback

            traceback.print_exc(file=sys.stderr)
            self._json(500, ApiError(500, f"internal error ({type(e).__name__})", "server_error").body)

    def _body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise ApiError(411, "send the body with a Content-Length header") from None
        if length > MAX_BODY:
            raise ApiError(413, f"the body is over {MAX_BODY} bytes: send a shorter history")
        return self.rfile.read(length)

    def _json(self, status: int, obj: dict, headers: dict | None = None) -> None:
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _complete(self) -> None:
        api = self.server.api
        req = api.request(self._body())
        slot = api.slots[req["model"]]
        if not slot.acquire(blocking=False):
            self._json(429, ApiError(429, f"model {req['model']} has {MAX_WAITING} requests in hand: retry in a "
                                     "moment", "rate_limit_error", code="busy").body, {"Retry-After": "1"})
            return
        try:
            self._answer(api, req)
        finally:
            slot.release()

    def _answer(self, api: Api, req: dict) -> None:
        stats: dict = {}
        pieces = api.generate(req, stats)
        base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": req["model"]}
        try:
            first = next(pieces, None)  # the queue wait, the prompt's checks and the first token: before any header
        except UserError as e:
            raise ApiError(400, str(e)) from None
        if not req["stream"]:
            content = (first or "") + "".join(pieces)
            self._json(200, {**base, "object": "chat.completion", "choices": [{
                "index": 0, "message": {"role": "assistant", "content": content, "messages": stats["messages"]},
                "finish_reason": stats.get("finish_reason", "stop")}], "usage": usage_of(stats)})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        try:
            self._event(chunk(base, {"role": "assistant", "content": ""}))
            for piece in ([first] if first else []):
                self._event(chunk(base, {"content": piece}))
            for piece in pieces:
                self._event(chunk(base, {"content": piece}))
            self._event(chunk(base, {"messages": stats["messages"]}, stats.get("finish_reason", "stop")))
            if req["usage_chunk"]:
                self._event({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage_of(stats)})
            self.wfile.write(b"data: [DONE]\n\n")
        finally:
            pieces.close()  # a client that hung up: the model finishes its generation, then serves the next

    def _event(self, obj: dict) -> None:
        self.wfile.write(b"data: " + json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n\n")
        self.wfile.flush()

    def log_message(self, format: str, *args) -> None:
        print(f"gemelo api: {self.address_string()} {format % args}", file=sys.stderr)


def serve_api(targets: list[str], host: str = "127.0.0.1", port: int = 8000, sampling: Sampling | None = None,
              api_key: str | None = None, block: bool = True) -> ThreadingHTTPServer:
    """Start the API; with block=False, return the running server (.server_address; .shutdown() stops it)."""
    import socket

    check_host(host, api_key)
    targets = targets or trained_models()
    if not targets:
        raise UserError("no trained model in models/: run `dvc repro` first, or name a model folder")
    api = Api(targets, sampling or Sampling(), api_key)
    api.models.get(targets[0], False)  # load the first model now, not on the first request

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        daemon_threads = True

    try:
        server = Server((host, port), Handler)
    except OSError as e:
        raise UserError(f"cannot listen on {host}:{port} ({e.strerror or e}): choose another --port") from None
    server.api = api
    print(f"gemelo api: http://{host}:{server.server_address[1]}/v1 serving {', '.join(api.targets)}",
          file=sys.stderr, flush=True)
    if not block:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return server
