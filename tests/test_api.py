"""`gemelo serve --api` on 127.0.0.1, called with the official `openai` client and with raw HTTP."""

from __future__ import annotations

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from _tiny import gemelo_cache, tiny_project  # noqa: F401
from test_chat import trained  # noqa: F401
from gemelo import UserError
from gemelo.api import MAX_WAITING, serve_api
from gemelo.chat import Sampling, Twin
from gemelo.cli import main

# sampled, seeded: reproducible, and varied enough that the tiny model's replies have words and bursts
SAMPLED = Sampling(temperature=1.0, max_new_tokens=12, seed=7)
KEY = "s3cret-key"


@pytest.fixture(scope="module")
def folder(trained):  # noqa: F811
    return str(trained / "models" / "tiny")


@pytest.fixture(scope="module")
def server(folder):
    srv = serve_api([folder], port=0, sampling=SAMPLED, block=False)
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def client(server):
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="unused", max_retries=0)


@pytest.fixture(scope="module")
def twin(folder):
    return Twin.load(folder)


class Counted:
    """Wraps a twin's model.generate to record the most generations that ever ran at once; with a delay,
    each forward pass (one token) also takes that long, so that a generation outlasts a client."""

    def __init__(self, twin, delay: float = 0.0):
        self.twin, self.generate, self.running, self.most = twin, twin.model.generate, 0, 0
        self.forward, self.delay = twin.model.forward, delay
        self.guard = threading.Lock()

    def slow_forward(self, *args, **kwargs):
        time.sleep(self.delay)
        return self.forward(*args, **kwargs)

    def __call__(self, **kwargs):
        with self.guard:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            return self.generate(**kwargs)
        finally:
            with self.guard:
                self.running -= 1

    def __enter__(self) -> "Counted":
        self.twin.model.generate = self
        if self.delay:
            self.twin.model.forward = self.slow_forward
        return self

    def __exit__(self, *exc) -> None:
        self.twin.model.generate, self.twin.model.forward = self.generate, self.forward


def served_twin(server) -> Twin:
    return server.api.models.get(server.api.targets["tiny"], False)


def raw(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8")
    finally:
        conn.close()


HISTORY = [{"role": "user", "content": "hola che como andas"}]


def test_models_lists_the_served_model(client):
    assert [m.id for m in client.models.list().data] == ["tiny"]


def test_a_reply_is_the_twins_reply_with_its_messages_joined_by_newlines(client, twin):
    reply = client.chat.completions.create(model="tiny", messages=HISTORY)
    want = twin.reply(HISTORY, SAMPLED)
    assert want  # the comparison below is not between two empty replies
    choice = reply.choices[0]
    assert choice.message.role == "assistant" and choice.message.content == "\n".join(want)
    assert choice.message.model_extra["messages"] == want
    assert choice.finish_reason in ("stop", "length") and reply.model == "tiny"
    assert reply.usage.prompt_tokens > 0 and reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_streaming_adds_up_to_the_same_reply(client):
    whole = client.chat.completions.create(model="tiny", messages=HISTORY).choices[0]
    chunks = list(client.chat.completions.create(model="tiny", messages=HISTORY, stream=True,
                                                 stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.message.content
    last = [c for c in chunks if c.choices][-1].choices[0]
    assert last.finish_reason == whole.finish_reason and last.delta.model_extra["messages"] == whole.message.model_extra["messages"]
    assert chunks[-1].usage.completion_tokens > 0


def test_a_reply_of_several_messages_is_split_at_the_separator(server):
    """Whatever the tiny model writes: the server's content is the burst's messages, one per line."""
    from gemelo.api import Api

    api = Api([server.api.targets["tiny"]], SAMPLED)
    twin = api.models.get(api.targets["tiny"], False)
    twin.stream = lambda *a, usage=None, **k: iter(["jajaja", "<|msg_sep|> ", "posta", "<|msg_sep|>", "dale"])
    stats: dict = {}
    req = api.request(json.dumps({"model": "tiny", "messages": HISTORY}).encode())
    assert "".join(api.generate(req, stats)) == "jajaja\nposta\ndale"
    assert stats["messages"] == ["jajaja", "posta", "dale"]


def test_messages_are_rendered_as_in_training_names_make_a_group(server, twin):
    req = server.api.request(json.dumps({"model": "tiny", "messages": [
        {"role": "system", "content": "You are a helpful assistant"},
        {"role": "user", "name": "Flor", "content": "viste el colectivo"},
        {"role": "user", "name": "Juan", "content": "un desastre"}]}).encode())
    assert req["group"] and [h["name"] for h in req["history"]] == ["Flor", "Juan"]
    prompt = twin.prompt(req["history"], req["group"])
    assert "Flor: viste el colectivo\nJuan: un desastre" in prompt and "helpful" not in prompt
    assert prompt == twin.format.text(twin.format.messages({"group": True, "turns": [
        {"author": "Flor", "text": "viste el colectivo"}, {"author": "Juan", "text": "un desastre"}]}), True)


def test_bad_requests_get_openai_error_objects(client, server):
    import openai

    with pytest.raises(openai.NotFoundError, match="does not exist: use one of tiny"):
        client.chat.completions.create(model="gpt-4", messages=HISTORY)
    with pytest.raises(openai.BadRequestError, match="non-empty list"):
        client.chat.completions.create(model="tiny", messages=[])
    with pytest.raises(openai.BadRequestError, match="temperature"):
        client.chat.completions.create(model="tiny", messages=HISTORY, temperature=-1)
    with pytest.raises(openai.BadRequestError, match="no room"):
        client.chat.completions.create(model="tiny", messages=HISTORY, max_tokens=100_000)
    for body, status in ((b"{not json", 400), (b"[1, 2]", 400), (json.dumps({"model": "tiny"}).encode(), 400),
                         (json.dumps({"model": "tiny", "messages": [{"role": "tool", "content": "x"}]}).encode(), 400),
                         (b"{}", 413)):
        # the 413 case announces a 2 MiB body: refused from its header, before any of it is read
        length = {"Content-Length": str(2 << 20)} if status == 413 else {}
        got, text = raw(server, "POST", "/v1/chat/completions", body, {"Content-Type": "application/json", **length})
        assert got == status and set(json.loads(text)) == {"error"} and "Traceback" not in text
    got, text = raw(server, "GET", "/v1/nothing")
    assert got == 404 and json.loads(text)["error"]["message"].startswith("no route")


def test_a_history_longer_than_the_context_is_cut_oldest_first(client, twin):
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"mensaje {i} jajaja"} for i in range(401)]
    reply = client.chat.completions.create(model="tiny", messages=history)
    assert reply.choices[0].message.content == "\n".join(twin.reply(history, SAMPLED))
    assert reply.usage.prompt_tokens + SAMPLED.max_new_tokens <= twin.max_length


def test_a_client_that_hangs_up_mid_stream_leaves_the_model_free_once_done(server, client):
    """The next request waits for the abandoned generation to end: never two at once."""
    with Counted(served_twin(server), delay=0.02) as counted:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=60)
        conn.request("POST", "/v1/chat/completions", json.dumps(
            {"model": "tiny", "messages": HISTORY, "stream": True, "max_tokens": 100}),
            {"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200 and resp.readline().startswith(b"data: ")
        resp.close()  # the response holds the socket too
        conn.close()
        assert client.chat.completions.create(model="tiny", messages=HISTORY).choices[0].message.content is not None
    assert counted.most == 1


def test_the_api_key_is_required_when_given(folder):
    import openai

    srv = serve_api([folder], port=0, sampling=SAMPLED, api_key=KEY, block=False)
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    try:
        with pytest.raises(openai.AuthenticationError, match="API key"):
            openai.OpenAI(base_url=url, api_key="wrong", max_retries=0).models.list()
        good = openai.OpenAI(base_url=url, api_key=KEY, max_retries=0)
        assert good.chat.completions.create(model="tiny", messages=HISTORY).choices[0].message.role == "assistant"
    finally:
        srv.shutdown()
        srv.server_close()


def test_without_a_key_the_server_only_listens_on_loopback(folder, capsys):
    with pytest.raises(UserError, match="--api-key"):
        serve_api([folder], host="0.0.0.0", port=0)
    assert main(["serve", "--api", "--host", "0.0.0.0", folder]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gemelo: error: --host 0.0.0.0 would open the API") and err.count("\n") == 1


def test_load_every_request_is_answered_or_refused_one_generation_at_a_time(server, client):
    """20 clients, 100 requests: each gets 200 or a clear 429; the model never runs two generations at once;
    the server still answers afterwards, and its threads and memory come back down."""
    import psutil

    body = json.dumps({"model": "tiny", "messages": HISTORY, "max_tokens": 4}).encode()
    process = psutil.Process()
    threads, rss = threading.active_count(), process.memory_info().rss
    with Counted(served_twin(server)) as counted, ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: raw(server, "POST", "/v1/chat/completions", body,
                                              {"Content-Type": "application/json"}), range(100)))
    statuses = [s for s, _ in results]
    assert set(statuses) <= {200, 429} and statuses.count(200) >= MAX_WAITING
    for status, text in results:
        obj = json.loads(text)
        assert obj["choices"][0]["message"]["role"] == "assistant" if status == 200 else \
            "retry" in obj["error"]["message"]
    assert counted.most == 1
    assert client.models.list().data[0].id == "tiny"
    time.sleep(0.5)
    assert threading.active_count() <= threads + 2
    assert process.memory_info().rss - rss < 200 * 2**20
