"""Never garble, never hang, never get stuck: bad bytes, kills, odd settings and hostile input.

Each case is one a careful user or an attacker hit on the tiny model and the sample; each must end in a
correct result or a one-line error, in bounded time and memory, and leave no temporary file behind.
(Resuming after kills is in test_training.test_resume_from_checkpoint_matches_uninterrupted_run; the
timings of the linear-time fixes are printed by bench/bench_reliability.py.)
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from _tiny import (AUTHOR, ROOT, SEP, copy_project, gemelo_cache, tiny_cfg, tiny_project,  # noqa: F401
                   write_project)

from gemelo import UserError
from gemelo.card import FILE as CARD
from gemelo.cli import main

FLOR = ROOT / "data" / "sample" / "Chat de WhatsApp con Flor.txt"


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("gemelo: error:") and "\n" not in err and "Traceback" not in err, err
    return err


# --- 1. one bad byte -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [b"\xff", b"\xed\xa0\x80"])  # a stray byte; an encoded lone surrogate
def test_a_bad_byte_spoils_only_its_own_line(tmp_path, capsys, bad):
    from gemelo.cleaning import clean_path
    from gemelo.parsing import parse_path

    data = FLOR.read_bytes()
    cut = data.index(b"\n", len(data) // 2)
    damaged = tmp_path / FLOR.name
    damaged.write_bytes(data[:cut] + b" " + bad + data[cut:])
    good, bad_parse = parse_path(FLOR), parse_path(damaged)
    assert bad_parse.replaced == len(bad) and good.replaced == 0
    differ = [(a, b) for a, b in zip(good.messages, bad_parse.messages) if a != b]
    assert len(bad_parse.messages) == len(good.messages) and len(differ) == 1
    assert differ[0][1].text == differ[0][0].text + " " + "\ufffd" * len(bad)
    assert [m.kind for m in bad_parse.messages] == [m.kind for m in good.messages]  # deleted stay deleted
    assert sum(m.edited for m in bad_parse.messages) == sum(m.edited for m in good.messages) > 0
    _, metrics = clean_path(damaged, [AUTHOR], {})
    assert metrics["bad_bytes_replaced"] == len(bad)
    assert main(["parse", str(damaged)]) == 0
    assert f"{len(bad)} bytes that are not UTF-8" in capsys.readouterr().err


def test_a_cp1252_export_is_still_read_as_cp1252(tmp_path):
    from gemelo.parsing import parse_path

    f = tmp_path / "c.txt"
    f.write_bytes("21/08/22, 19:40 - Flor: ¿Cómo andás? Acá, tirada\n21/08/22, 19:41 - Martu: re bien\n".encode("cp1252"))
    parsed = parse_path(f)
    assert parsed.messages[0].text == "¿Cómo andás? Acá, tirada" and parsed.replaced == 0


# --- 4. empty splits and no examples ---------------------------------------------------------------------------

def test_an_empty_validation_split_trains_without_evaluation(tmp_path, monkeypatch, capsys, gemelo_cache):  # noqa: F811
    from gemelo.training import finetune_stage

    project = write_project(tmp_path / "p")
    for f in (project / "data/interim/conversations").glob("validation.jsonl"):
        f.write_text("")
    monkeypatch.chdir(project)
    from gemelo.formatting import format_stage

    cfg = tiny_cfg(["model.tiny.train.max_steps=2", f"mlflow.tracking_uri=sqlite:///{tmp_path}/m.db"])
    format_stage(cfg, "tiny")
    assert json.loads((project / "metrics/tokens/tiny.json").read_text())["validation"]["examples"] == 0
    finetune_stage(cfg, "tiny")
    assert "trains without evaluation" in capsys.readouterr().err
    assert (project / "models/tiny/model.safetensors").exists()


def test_no_example_left_after_formatting_names_max_length(tmp_path, monkeypatch, gemelo_cache):  # noqa: F811
    from gemelo.formatting import format_stage

    project = write_project(tmp_path / "p")
    monkeypatch.chdir(project)
    with pytest.raises(UserError, match=r"model.tiny.max_length=16 tokens.*raise max_length"):
        format_stage(tiny_cfg(["model.tiny.max_length=16"]), "tiny")


# --- 5, 9, 10. settings: ranges, typos, overrides, one-line errors ------------------------------------------------

@pytest.fixture
def project(tmp_path, tiny_project):  # noqa: F811
    """The tiny project with the real conf/ beside its params.yaml, so that settings are checked as in a repo."""
    root = copy_project(tiny_project, tmp_path / "project")
    shutil.copytree(ROOT / "conf", root / "conf")
    return root


@pytest.mark.parametrize("override, message", [
    ("train.learnin_rate=1", "unknown setting train.learnin_rate; did you mean train.learning_rate?"),
    ("model.tiny.lora.rr=3", "unknown setting model.tiny.lora.rr; did you mean model.tiny.lora.r?"),
    ("train.learning_rate=-1", "train.learning_rate must be a number greater than 0, not -1"),
    ("evaluate.bootstrap=0", "evaluate.bootstrap must be a whole number of at least 1, not 0"),
    ("evaluate.bootstrap=-5", "evaluate.bootstrap must be"),
    ("chat.max_new_tokens=0", "chat.max_new_tokens must be a whole number of at least 1, not 0"),
    ("chat.repetition_penalty=0", "chat.repetition_penalty must be"),
    ("data.author=null", "data.author must name the person to clone"),
    ("data.author=[]", "data.author must name the person to clone"),
    ("model.tiny.method=lorra", "model.tiny.method must be one of full, lora, qlora, not 'lorra'"),
])
def test_a_bad_setting_stops_a_stage_in_one_line_before_work(project, monkeypatch, capsys, override, message):
    from gemelo.pipeline import run
    from gemelo.training import finetune_stage

    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as e:
        run(finetune_stage, ["tiny", override])
    assert e.value.code == 2 and message in one_line_error(capsys)
    assert not (project / "models").exists()  # nothing was trained


def test_gemelo_params_errors_are_one_line(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert main(["params", "model=[nope]"]) == 2
    assert "Could not load 'model/nope'" in one_line_error(capsys)
    assert main(["params", "+train.learnin_rate=1"]) == 2
    assert "did you mean train.learning_rate?" in one_line_error(capsys)


def test_a_models_own_setting_beating_a_global_one_is_said(project, monkeypatch, capsys):
    from gemelo.pipeline import run
    from gemelo.training import finetune_stage

    monkeypatch.chdir(project)
    run(finetune_stage, ["tiny", "train.max_steps=200", "model.tiny.train.max_steps=2",
                         f"mlflow.tracking_uri=sqlite:///{project}/m.db"])
    assert "its own settings from conf/model/tiny.yaml: max_steps=2 (global 200)" in capsys.readouterr().err


@pytest.mark.parametrize("flag", [["--max-new-tokens", "0"], ["--repetition-penalty", "0"], ["--top-p", "0"]])
def test_chat_settings_that_would_never_end_are_refused(project, monkeypatch, capsys, flag):
    monkeypatch.chdir(project)
    assert main(["chat", "tiny", "--message", "hola", *flag]) == 2
    one_line_error(capsys)


def test_the_disk_filling_up_is_one_line(project, monkeypatch, capsys):
    import errno

    from gemelo import pipeline
    from gemelo.cleaning import clean_stage

    def full(path, *chunks):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.chdir(project)
    monkeypatch.setattr(pipeline, "write_bytes", full)
    with pytest.raises(SystemExit):
        pipeline.run(clean_stage, [f"data.raw={ROOT / 'data' / 'sample'}"])
    assert "the disk is full (data/interim/messages.jsonl)" in one_line_error(capsys)


# --- 10. damaged model folders and history files ---------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(tiny_project, tmp_path_factory):  # noqa: F811
    import contextlib

    from gemelo.training import finetune_stage

    root = copy_project(tiny_project, tmp_path_factory.mktemp("trained"))
    with contextlib.chdir(root):
        finetune_stage(tiny_cfg(["model.tiny.train.max_steps=1", f"mlflow.tracking_uri=sqlite:///{root}/m.db"]), "tiny")
    return root


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes()[:1000]), "damaged"),
    (lambda d: (d / "chat_template.jinja").unlink(), "no chat template"),
    (lambda d: (d / CARD).write_text(json.dumps(json.loads((d / CARD).read_text()) | {"chat_format": {"kind": "chat"}})),
     "lacks author"),
])
def test_a_damaged_model_folder_is_a_one_line_error(trained, tmp_path, monkeypatch, capsys, damage, message):
    folder = tmp_path / "tiny"
    shutil.copytree(trained / "models" / "tiny", folder)
    damage(folder)
    monkeypatch.chdir(tmp_path)
    assert main(["chat", str(folder), "--message", "hola", "--max-new-tokens", "2"]) == 2
    assert message in one_line_error(capsys)


def test_a_history_that_is_a_folder_is_a_one_line_error(trained, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(trained)
    assert main(["chat", "tiny", "--message", "hola", "--history", str(tmp_path)]) == 2
    assert "history file" in one_line_error(capsys)
    bad = tmp_path / "h.json"
    bad.write_text('[{"role": "user"}]')
    assert main(["chat", "tiny", "--message", "hola", "--history", str(bad)]) == 2
    assert "must be a JSON list" in one_line_error(capsys)


# --- 8. long histories: linear work, the context respected ----------------------------------------------------

def test_a_long_history_is_fitted_with_a_few_renders_and_keeps_the_newest_turns(trained, monkeypatch):
    from gemelo.chat import Twin

    twin = Twin.load(str(trained / "models" / "tiny"))
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"mensaje {i} jaja"} for i in range(1000)]
    renders = []
    real = twin.format.prompt
    monkeypatch.setattr(twin.format, "prompt", lambda h, g=None: renders.append(len(h)) or real(h, g))
    fitted = twin.fit(history, max_new_tokens=20)
    assert fitted == history[-len(fitted):] and len(fitted) >= 2
    assert len(twin.tokenizer.encode(real(fitted), add_special_tokens=False)) + 20 <= twin.max_length
    assert len(renders) <= 6 and renders[0] == 1000  # the whole history is rendered once, not once per turn


def test_a_message_longer_than_the_context_is_cut_to_its_end(trained):
    from gemelo.chat import Twin

    twin = Twin.load(str(trained / "models" / "tiny"))
    huge = "hola che " * 20000 + "fin"
    fitted = twin.fit([{"role": "user", "content": huge}], max_new_tokens=20)
    assert len(fitted) == 1 and fitted[0]["content"].endswith("fin") and len(fitted[0]["content"]) < 1000
    assert len(twin.tokenizer.encode(twin.prompt(fitted), add_special_tokens=False)) + 20 <= twin.max_length


# --- 6. redaction numbering in one pass -----------------------------------------------------------------------

def test_many_distinct_numbers_get_distinct_placeholders_in_order():
    from gemelo.cleaning import Redactor

    r = Redactor(["phones"])
    out = [r(f"llamá al +54 9 11 {5000 + i // 10000:04d}-{i % 10000:04d}") for i in range(3000)]
    assert out[0] == "llamá al <TEL_1>" and out[-1] == "llamá al <TEL_3000>"
    assert r("de nuevo +54 9 11 5000-0000") == "de nuevo <TEL_1>"


# --- 7. zip bombs ----------------------------------------------------------------------------------------------

def bomb(size: int, line: bytes) -> bytes:
    """A zip whose one member unpacks to `size` bytes of `line`, written as a stream (never whole in memory)."""
    buf = io.BytesIO()
    info = zipfile.ZipInfo("WhatsApp Chat with Flor.txt")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", compresslevel=1) as zf:
        with zf.open(info, "w", force_zip64=True) as w:
            chunk = line * ((4 << 20) // len(line))
            for _ in range(size // len(chunk)):
                w.write(chunk)
    return buf.getvalue()


@pytest.mark.parametrize("line", [b"21/08/22, 19:40 - Flor: hola che\n", b"\x00"])
def test_a_zip_bomb_is_refused_before_it_is_read(tmp_path, line):
    import tracemalloc

    from gemelo.parsing import parse_path

    f = tmp_path / "chat.zip"
    f.write_bytes(bomb(1 << 30, line))
    assert f.stat().st_size < 8 << 20
    tracemalloc.start()
    try:
        with pytest.raises(UserError, match="would unpack to 1,07"):
            parse_path(f)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


def test_a_real_export_in_a_zip_still_parses(tmp_path):
    from gemelo.parsing import parse_path

    f = tmp_path / "chat.zip"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("WhatsApp Chat with Flor.txt", FLOR.read_bytes())
    assert len(parse_path(f).messages) == len(parse_path(FLOR).messages)


# --- 11. no chat text left behind ------------------------------------------------------------------------------

def test_a_failed_write_leaves_no_temporary_and_a_stale_one_is_removed(project, monkeypatch):
    from gemelo import pipeline

    monkeypatch.chdir(project)

    def killed(self, target):  # the stage is stopped after writing, before the rename
        assert self.read_bytes() == b'{"text": "private"}\n'
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(Path, "replace", killed)
        with pytest.raises(KeyboardInterrupt):
            pipeline.write_bytes(Path("data/interim/messages.jsonl"), b'{"text": "private"}\n')
    assert not list(Path("data").glob("**/*.tmp")) and not Path("data/interim/messages.jsonl").exists()
    stale = Path("data/interim/messages.jsonl.tmp")
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text('{"text": "private, cut mid-li')  # what a kill -9 left
    (Path("models") / "tiny.tmp").mkdir(parents=True)
    with pytest.raises(SystemExit):  # any stage start, even one that then stops on a setting
        pipeline.run(lambda cfg: None, ["evaluate.bootstrap=0"])
    assert stale.exists()  # settings are checked first: a mistyped command touches nothing
    pipeline.run(lambda cfg: None, [])
    assert not stale.exists() and not (Path("models") / "tiny.tmp").exists()
