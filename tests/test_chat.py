"""The chatbot on a tiny trained model: prompt = training format, truncation, stopping, bursts, CLI, pty."""

import json
import os
import sys

import pytest

from _tiny import AUTHOR, SEP, conversations, copy_project, gemelo_cache, tiny_cfg, tiny_project  # noqa: F401
from gemelo.card import FILE as CARD, ModelCard
from gemelo.chat import Sampling, Twin, held_out_prompts
from gemelo.cli import main
from gemelo.formatting import split_messages

GREEDY = Sampling(temperature=0, max_new_tokens=12)


@pytest.fixture(scope="module")
def trained(tiny_project, tmp_path_factory):
    """A project with models/tiny trained for two steps."""
    from gemelo.training import finetune_stage as finetune

    project = copy_project(tiny_project, tmp_path_factory.mktemp("chat"))
    cwd = os.getcwd()
    os.chdir(project)
    try:
        finetune(tiny_cfg(["model.tiny.train.max_steps=2", f"mlflow.tracking_uri=sqlite:///{project}/mlflow.db"]), "tiny")
    finally:
        os.chdir(cwd)
    return project


@pytest.fixture(scope="module")
def twin(trained):
    return Twin.load(str(trained / "models" / "tiny"))


def test_prompt_for_a_multi_turn_history_is_the_training_format_byte_for_byte(twin):
    for conv in conversations()["test"]:
        msgs = twin.format.messages(conv)
        full, spans = twin.format.render(msgs)
        last_reply = max(i for i, m in enumerate(msgs) if m["role"] == "assistant")
        history = [{"role": m["role"], "content": m["content"]} for m in msgs[1:last_reply]]
        if conv["group"]:  # group chats show the other speakers' names, in training and in chat alike
            history = [{**h, "name": t["author"]} if h["role"] == "user" else h
                       for h, t in zip(history, conv["turns"])]
            history = [{**h, "content": h["content"].split(": ", 1)[1]} if "name" in h else h for h in history]
        prompt = twin.prompt(history)
        assert full.startswith(prompt)
        assert full[len(prompt):spans[-1][1]] == msgs[last_reply]["content"] + "<|im_end|>"


def test_history_is_cut_oldest_first_to_fit_the_trained_context(twin):
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"m{i} jaja"} for i in range(30)]
    fitted = twin.fit(history, max_new_tokens=20)
    assert fitted == history[-len(fitted):] and 1 <= len(fitted) < len(history)
    n = len(twin.tokenizer.encode(twin.prompt(fitted), add_special_tokens=False))
    assert n + 20 <= twin.max_length
    longer = history[-len(fitted) - 1:]
    assert len(twin.tokenizer.encode(twin.prompt(longer), add_special_tokens=False)) + 20 > twin.max_length


def test_generation_stops_at_the_end_of_turn(twin):
    im_end = twin.tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert im_end in twin.format.stop_ids
    text = "".join(twin.stream([{"role": "user", "content": "hola"}], Sampling(temperature=1.0, max_new_tokens=40, seed=3)))
    assert "<|im_end|>" not in text and "<|im_start|>" not in text


def test_bursts_split_on_the_separator():
    assert split_messages(f"jajaja{SEP}posta?? 😂{SEP} {SEP}nos vemos", SEP) == ["jajaja", "posta?? 😂", "nos vemos"]
    assert split_messages("", SEP) == []


def test_held_out_prompts_take_the_history_before_an_author_reply():
    prompts = held_out_prompts(conversations()["test"], AUTHOR, SEP, 10)
    assert prompts and all(p["history"] and p["real"] for p in prompts)
    assert prompts[0]["history"][-1]["role"] == "user"


def test_non_interactive_chat_prints_one_line_per_message(trained, capsys, monkeypatch):
    monkeypatch.chdir(trained)
    history = trained / "history.json"
    history.write_text(json.dumps([{"role": "user", "content": "hola"}, {"role": "assistant", "content": f"q onda{SEP}jaja"}]))
    assert main(["chat", "tiny", "--message", "todo bien?", "--history", str(history), "--temperature", "0",
                 "--max-new-tokens", "12"]) == 0
    out = capsys.readouterr().out.splitlines()
    twin = Twin.load("models/tiny")
    expected = twin.reply(json.loads(history.read_text()) + [{"role": "user", "content": "todo bien?"}],
                          Sampling.from_config(tiny_cfg().chat, temperature=0, max_new_tokens=12))
    assert out == expected


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "no trained model"),
    (lambda p: (p / "models" / "tiny").mkdir(parents=True), f"no {CARD}"),
    (lambda p: ((p / "models" / "tiny").mkdir(parents=True), (p / "models" / "tiny" / CARD).write_text("{}")),
     "damaged"),
    (lambda p: (p / "models" / "tiny").mkdir(parents=True) or ModelCard(
        "tiny", {"source": "tiny:llama", "method": "full", "max_length": 64},
        {"kind": "chat", "author": AUTHOR, "system_prompt": "", "separator": SEP}).write(p / "models" / "tiny"),
     "incomplete or damaged"),
])
def test_bad_model_folder_is_a_one_line_error(tmp_path, monkeypatch, capsys, setup, message):
    monkeypatch.chdir(tmp_path)
    setup(tmp_path)
    assert main(["chat", "tiny", "--message", "hola"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_terminal_chat_as_a_person_would(trained):
    """A pseudo-terminal: type a message, read the streamed reply, /reset, Ctrl-D."""
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "gemelo", "chat", "tiny", "--temperature", "0", "--max-new-tokens", "8"],
                          cwd=str(trained), env=env, encoding="utf-8", timeout=60)
    child.expect("Ctrl-D")
    child.expect("vos> ")
    child.sendline("hola che")
    child.expect(f"{AUTHOR}> ")
    child.expect("vos> ")  # the reply was streamed and the prompt is back
    child.sendline("/reset")
    child.expect("conversación nueva")
    child.expect("vos> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_side_by_side_samples_fidelity_and_comparison_on_the_tiny_model(trained, monkeypatch, capsys):
    """The samples stage is deterministic given the seed; fidelity and compare read it."""
    from gemelo.chat import samples_stage as samples
    from gemelo.comparison import compare_stage as compare
    from gemelo.fidelity import fidelity_stage as fidelity

    monkeypatch.chdir(trained)
    cfg = tiny_cfg(["chat.samples=3", "chat.max_new_tokens=8", "fidelity.judge=tiny:llama",
                    f"mlflow.tracking_uri=sqlite:///{trained}/mlflow.db"])
    samples(cfg, "tiny")
    first = (trained / "metrics/samples/tiny.json").read_text()
    samples(cfg, "tiny")
    assert (trained / "metrics/samples/tiny.json").read_text() == first
    rows = json.loads(first)
    assert len(rows) == 3 and all({"history", "real", "base", "finetuned"} <= set(r) for r in rows)
    fidelity(cfg, "tiny")
    details = json.loads((trained / "metrics/fidelity/tiny.details.json").read_text())
    summary = json.loads((trained / "metrics/fidelity/tiny.json").read_text())
    assert details["real"]["profile"]["replies"] == 3 and 0 <= summary["finetuned_attributed"] <= 1
    assert "profile" not in json.dumps(summary)  # the DVC metric holds the summary only
    for v in ("real", "base", "finetuned", "shuffled"):  # sense with its interval, from the tiny judge
        lo, hi = summary[f"{v}_sense_ci95"]
        assert 0 <= lo <= summary[f"{v}_sense"] <= hi <= 1 and len(details[v]["sense"]) == 3
    compare(cfg)
    table = (trained / "metrics/compare.md").read_text()
    assert "Persona fidelity" in table and "| tiny | 3 | " in table.split("Persona fidelity")[1]
    assert "- **tiny**: the fine-tuned twin " in table and "blind test yet" in table
    assert (trained / "metrics/samples.md").read_text().count("**real:**") == 3
    prompts = trained / "prompts.txt"
    prompts.write_text("hola\n\n¿qué hacés?\n")
    assert main(["samples", "tiny", "--prompts", str(prompts)]) == 0
    assert capsys.readouterr().out.count("**fine-tuned:**") == 2
