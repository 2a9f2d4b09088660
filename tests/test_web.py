"""The web page in a real headless Chromium (Debian's chromium + chromedriver; nothing downloads a browser)."""

import os
import shutil
import socket

import pytest

from _tiny import gemelo_cache, tiny_project  # noqa: F401
from test_chat import trained  # noqa: F401
from gemelo.chat import Sampling, Twin

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver must be installed (apt-get install chromium chromium-driver)")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1000,800"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def test_page_listens_on_localhost_and_shows_the_reply_as_bubbles(trained, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from gemelo.web import serve

    folder = str(trained / "models" / "tiny")
    sampling = Sampling(temperature=1.0, max_new_tokens=16, seed=7)  # seeded: the page and this test agree
    port = free_port()
    page = serve([folder], port=port, sampling=sampling, block=False)
    try:
        url = page.local_url
        assert url.startswith("http://127.0.0.1:")
        browser.get(url)
        box = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, "#message textarea"))
        # computed before the page generates: both share this process's random generator
        expected = Twin.load(folder).reply([{"role": "user", "content": "hola che"}], sampling)
        assert expected, "pick a seed for which the tiny model says something"
        box.send_keys("hola che", Keys.ENTER)

        def bubbles(d):
            found = [b.text for b in d.find_elements(By.CSS_SELECTOR, '#chat [data-testid="bot"]')]
            return found if len(found) == len(expected) and all(found) else False

        try:
            got = WebDriverWait(browser, 60).until(bubbles)
        except Exception:
            found = [b.text for b in browser.find_elements(By.CSS_SELECTOR, '#chat [data-testid="bot"]')]
            raise AssertionError(f"expected bubbles {expected}, page shows {found}")
        def words(texts):  # the browser shows any run of whitespace as one space
            return [" ".join(t.split()) for t in texts]

        assert words(got) == words(expected)
        users = browser.find_elements(By.CSS_SELECTOR, '#chat [data-testid="user"]')
        assert [u.text for u in users] == ["hola che"]
    finally:
        page.close()


def test_bursts_become_separate_bubbles_and_tabs_do_not_share_history():
    """respond() with a model that writes a burst: one bubble per message, the history per tab."""
    from types import SimpleNamespace

    from gemelo.formatting import split_messages
    from gemelo.web import Models, build

    class Burst:
        separator = "<|msg_sep|>"
        format = SimpleNamespace(split=lambda text: split_messages(text, "<|msg_sep|>"))

        def stream(self, history, sampling):
            yield "jajaja<|msg_sep|>"
            yield "posta<|msg_sep|>nos vemos"

    models = Models(["fake"])
    models.loaded[("fake", False)] = Burst()
    page = build(models, Sampling())
    respond = next(f.fn for f in page.fns.values() if f.name == "respond")
    *_, (text, chat, history) = respond("hola", [], [], "fake", False, 0.7, 0.9, 16, 1.1)
    assert [m["content"] for m in chat if m["role"] == "assistant"] == ["jajaja", "posta", "nos vemos"]
    assert history == [{"role": "user", "content": "hola"}, {"role": "assistant", "content": "jajaja<|msg_sep|>posta<|msg_sep|>nos vemos"}]
    *_, (_, chat2, history2) = respond("otra pestaña", [], [], "fake", False, 0.7, 0.9, 16, 1.1)
    assert history2[0]["content"] == "otra pestaña" and len(history2) == 2  # a new tab starts empty


ROWS = [{"history": [{"role": "user", "content": f"pregunta {i}", "name": "Flor"}], "group": False,
         "real": [f"la real {i}"], "base": [f"base {i}"], "finetuned": [f"gemelo {i}"]} for i in range(3)]


def test_blind_test_in_the_browser_records_answers_locally_and_in_mlflow(trained, browser, tmp_path, monkeypatch):  # noqa: F811
    """¿Quién lo escribió?: the person picks the real reply once and the twin's once; the answers, the summary
    (1 of 2 right) and the model's MLflow run all say so."""
    import json

    import mlflow
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from _tiny import copy_project
    from gemelo.card import ModelCard
    from gemelo.pipeline import write_json
    from gemelo.web import serve

    project = copy_project(trained, tmp_path / "project")
    monkeypatch.chdir(project)
    write_json(project / "metrics/samples/tiny.json", ROWS)
    page = serve(["tiny"], port=free_port(), sampling=Sampling(max_new_tokens=8), block=False)
    try:
        browser.get(page.local_url)
        tab = WebDriverWait(browser, 30).until(lambda d: next(
            (t for t in d.find_elements(By.XPATH, "//button[contains(., 'Quién lo escribió')]") if t.is_displayed()), False))
        tab.click()

        def replies(d):
            found = [d.find_element(By.CSS_SELECTOR, f"#blind-{s}").text.strip() for s in "ab"]
            return found if all(found) else False

        for want, verdict in ((True, "¡Bien!"), (False, "No: la real era")):
            a, b = WebDriverWait(browser, 30).until(replies)
            context = browser.find_element(By.CSS_SELECTOR, "#blind-context").text
            row = next(r for r in ROWS if r["history"][0]["content"] in context)
            assert {a, b} == {row["real"][0], row["finetuned"][0]}
            side = "a" if (a == row["real"][0]) == want else "b"
            browser.find_element(By.CSS_SELECTOR, f"#pick-{side}").click()
            WebDriverWait(browser, 30).until(
                lambda d: verdict in d.find_element(By.CSS_SELECTOR, "#blind-result").text)
    finally:
        page.close()
    answers = [json.loads(line) for line in (project / "metrics/blind/answers.jsonl").read_text().splitlines()]
    assert [a["correct"] for a in answers] == [True, False] and all("real" not in a for a in answers)
    summary = json.loads((project / "metrics/blind/summary.json").read_text())
    assert summary["tiny"]["answers"] == 2 and summary["tiny"]["correct"] == 0.5
    lo, hi = summary["tiny"]["correct_ci95"]
    assert 0 < lo < 0.5 < hi < 1
    mlflow.set_tracking_uri(f"sqlite:///{project}/mlflow.db")
    metrics = mlflow.get_run(ModelCard.read(project / "models/tiny").mlflow_run_id).data.metrics
    assert metrics["blind_answers"] == 2 and metrics["blind_correct"] == 0.5
