"""Issue 11: exports in seven languages (an Android and an iOS export each, written from WhatsApp's wording),
a language the tables do not know, the pre-2016 layout, and invisible characters, line ends and BOMs put
anywhere by hand-edited files, which must lose no message and cut no chat."""

from __future__ import annotations

import random
from itertools import accumulate
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gemelo.parsing import parse_text
from gemelo.parsing.headers import PATTERN
from test_parsing import BOM, LRM, NNBSP, chats, check_lines, every_mode, rows, stray  # noqa: F401 (a fixture)

WORDING = {  # the texts WhatsApp writes, per language: an Android export's and an iOS export's
    "es": dict(notice="Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este chat, ni siquiera WhatsApp, puede leerlos ni escucharlos.",
               event="Ana añadió a Beto", media=("<Multimedia omitido>", "imagen omitida"),
               attached="IMG-20240101-WA0001.jpg (archivo adjunto)",
               deleted=("Se eliminó este mensaje", "Se eliminó este mensaje."),
               edited=("<Se editó este mensaje.>", "<Se editó este mensaje.>"), text="¿Venís mañana a las 8?"),
    "en": dict(notice="Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.",
               event="Ana added Beto", media=("<Media omitted>", "image omitted"),
               attached="IMG-20240101-WA0001.jpg (file attached)",
               deleted=("This message was deleted", "This message was deleted."),
               edited=("<This message was edited>", "<This message was edited>"), text="Are you coming at 8?"),
    "pt": dict(notice="As mensagens e ligações são protegidas com criptografia de ponta a ponta. Ninguém fora desta conversa, nem mesmo o WhatsApp, pode lê-las ou ouvi-las.",
               event="Ana adicionou Beto", media=("<Arquivo de mídia oculto>", "imagem ocultada"),
               attached="IMG-20240101-WA0001.jpg (arquivo anexado)",
               deleted=("Esta mensagem foi apagada", "Mensagem apagada"),
               edited=("<Mensagem editada>", "<Mensagem editada>"), text="Você vem amanhã às 8?"),
    "de": dict(notice="Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses Chats kann sie lesen oder anhören, nicht einmal WhatsApp.",
               event="Ana hat Beto hinzugefügt", media=("<Medien ausgeschlossen>", "Bild weggelassen"),
               attached="IMG-20240101-WA0001.jpg (Datei angehängt)",
               deleted=("Diese Nachricht wurde gelöscht", "Diese Nachricht wurde gelöscht."),
               edited=("<Diese Nachricht wurde bearbeitet>", "<Diese Nachricht wurde bearbeitet.>"),
               text="Kommst du morgen um 8?"),
    "fr": dict(notice="Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, ne peut les lire ou les écouter.",
               event="Ana a ajouté Beto", media=("<Médias omis>", "image absente"),
               attached="IMG-20240101-WA0001.jpg (fichier joint)",
               deleted=("Ce message a été supprimé", "Ce message a été supprimé."),
               edited=("<Ce message a été modifié>", "<Ce message a été modifié>"), text="Tu viens demain à 8h ?"),
    "it": dict(notice="I messaggi e le chiamate sono crittografati end-to-end. Nessuno al di fuori di questa chat, nemmeno WhatsApp, può leggerne o ascoltarne il contenuto.",
               event="Ana ha aggiunto Beto", media=("<Media omessi>", "immagine omessa"),
               attached="IMG-20240101-WA0001.jpg (file allegato)",
               deleted=("Questo messaggio è stato eliminato", "Questo messaggio è stato eliminato."),
               edited=("<Questo messaggio è stato modificato>", "<Questo messaggio è stato modificato>"),
               text="Vieni domani alle 8?"),
    "nl": dict(notice="Berichten en gesprekken worden end-to-end versleuteld. Niemand buiten deze chat, zelfs WhatsApp niet, kan ze lezen of beluisteren.",
               event="Ana heeft Beto toegevoegd", media=("<Media weggelaten>", "afbeelding weggelaten"),
               attached="IMG-20240101-WA0001.jpg (bestand bijgevoegd)",
               deleted=("Dit bericht is verwijderd", "Dit bericht is verwijderd."),
               edited=("<Dit bericht is bewerkt>", "<Dit bericht is bewerkt>"), text="Kom je morgen om 8 uur?"),
}  # fmt: skip
T0 = datetime(2024, 3, 14, 9, 0)


def export(w: dict, ios: bool) -> tuple[str, list[tuple]]:
    """An export in one language, and the rows it must parse to (ts, author, text, kind, edited)."""
    p = int(ios)
    lines = [  # (author as written or None, body as written, expected author, text, kind, edited)
        ("Grupo" if ios else None, w["notice"], "system"),
        ("Grupo" if ios else None, w["event"], "system"),
        ("Ana", w["text"], "text"),
        ("Beto", w["media"][p], "media"),
        ("Beto", w["deleted"][p], "deleted"),
        ("Ana", w["text"], "edited"),
        ("Beto", w["attached"], "media"),
        ("Ana", "jajaja 😂\nnos vemos", "text"),
    ]
    out, expected = [], []
    for i, (author, body, kind) in enumerate(lines):
        ts = T0 + timedelta(minutes=i, seconds=7 * i * ios)
        header = f"[{ts:%d/%m/%y}, {ts:%H:%M:%S}] " if ios else f"{ts:%d/%m/%y}, {ts:%H:%M} - "
        written = body
        if kind == "edited":
            written = f"{body} {LRM}{w['edited'][p]}" if ios else f"{body} {w['edited'][p]}"
        elif ios and kind != "text" and author and not body.endswith(")"):
            written = LRM + body  # iOS marks every line that is no one's text
        out.append(header + (f"{author}: {written}" if author else written))
        expected.append((ts, author, body, "text" if kind == "edited" else kind, kind == "edited"))
    return "\n".join(out) + "\n", expected


@pytest.mark.parametrize("ios", [False, True], ids=["android", "ios"])
@pytest.mark.parametrize("lang", sorted(WORDING))
def test_every_language_android_and_ios(lang, ios, every_mode):
    text, expected = export(WORDING[lang], ios)
    parsed = parse_text(text)
    assert rows(parsed) == expected
    assert parsed.unrecognised == 0 and {m.chat for m in parsed.messages} == {"chat"}
    check_lines(parsed)


def test_a_language_the_tables_do_not_know_still_parses_its_text(every_mode):
    """Turkish: the texts are text; the iOS lines marked with U+200E and the Android lines without an author
    are system lines, counted as unrecognised."""
    ios = ("[14/03/24, 09:00:00] Grup: \u200eMesajlar ve aramalar uçtan uca şifrelidir.\n"
           "[14/03/24, 09:01:00] Ayşe: Yarın geliyor musun?\n"
           "[14/03/24, 09:02:00] Mehmet: \u200egörüntü dahil edilmedi\n")
    parsed = parse_text(ios)
    assert [(m.author, m.kind) for m in parsed.messages] == [("Grup", "system"), ("Ayşe", "text"), ("Mehmet", "system")]
    assert parsed.messages[1].text == "Yarın geliyor musun?" and parsed.unrecognised == 2
    android = "14.03.24, 09:00 - Mesajlar ve aramalar uçtan uca şifrelidir.\n14.03.24, 09:01 - Ayşe: Evet, 8'de!\n"
    parsed = parse_text(android)
    assert [(m.author, m.kind, m.text) for m in parsed.messages] == [
        (None, "system", "Mesajlar ve aramalar uçtan uca şifrelidir."), ("Ayşe", "text", "Evet, 8'de!")]
    assert parsed.unrecognised == 1


LEGACY = [  # the 2013-2016 layout: `date, time: Name: text`, seconds optional
    ("2/12/15, 8:33:07 PM: Ana: hola\n2/12/15, 8:34:00 PM: Beto: ok: dale\n2/28/15, 9:00:00 AM: Beto creó el grupo\n",
     datetime(2015, 2, 12, 20, 33, 7)),  # month first, as US phones wrote it
    ("12/02/2015, 20:33: Ana: hola\n12/02/2015, 20:34: Beto: ok: dale\n28/02/2015, 09:00: Beto creó el grupo\n",
     datetime(2015, 2, 12, 20, 33)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "ts"), LEGACY)
def test_the_pre_2016_layout(text, ts, every_mode):
    parsed = parse_text(text)
    assert [(m.author, m.text, m.kind) for m in parsed.messages] == [
        ("Ana", "hola", "text"), ("Beto", "ok: dale", "text"), (None, "Beto creó el grupo", "system")]
    assert parsed.messages[0].ts == ts and parsed.unrecognised == 0


def test_drops_are_named_and_the_cli_says_so_in_one_line(tmp_path, capsys):
    from gemelo.cli import main

    path = tmp_path / "chat.txt"
    path.write_text("Chat pegado\n\n[14/03/24, 09:00:00] Grup: \u200eMesajlar ve aramalar uçtan uca şifrelidir.\n"
                    "[14/03/24, 09:01:00] Ayşe: Evet\n\n", encoding="utf-8")
    assert main(["parse", str(path)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2 and err.count("\n") == 1
    assert "2 lines before" in err and "1 lines look like system lines" in err


def test_the_gates_see_every_rule():
    """The fast gates compare four characters (and four bytes): a shorter rule would slip past them."""
    from gemelo.parsing import kinds

    rules = [s for group in (*kinds.STARTS.values(), *kinds.ENDS.values()) for s in group]
    assert rules and min(len(s) for s in rules) >= 4
    assert all(s[:4] in kinds.HEADS and s.encode()[:4] in kinds.HEADS_UTF8 for s in sum(kinds.STARTS.values(), ()))
    assert all(s[-4:] in kinds.TAILS and s.encode()[-4:] in kinds.TAILS_UTF8 for s in sum(kinds.ENDS.values(), ()))


def _mutate(text: str, rnd: random.Random, headers: set[int]) -> str:
    """What hand-edited and pasted files do to an export: BOMs and NULs anywhere (even inside `[`), LRM at
    line starts, NNBSP for a header's spaces, any line ends (LF, CRLF, CR, CRCRLF), trailing blanks. Only the
    lines numbered in `headers` are headers: a message's line that looks like one is its text, kept as is."""
    out = []
    for i, line in enumerate(text.replace("\r\n", "\n").split("\n")):
        m = PATTERN.match(line) if i in headers else None
        if m and rnd.random() < 0.5:  # NNBSP for the header's spaces
            line = m[0].replace(" ", NNBSP) + line[m.end():]
        if m and rnd.random() < 0.3:
            line = LRM + line
        if line and rnd.random() < 0.3:
            line += rnd.choice([" ", "\t", " \t "])
        out.append(line)
        out.append(rnd.choice(["\n", "\r\n", "\r", "\r\r\n"]))
    chars = list("".join(out[:-1]) + "\n")
    for _ in range(rnd.randint(0, 6)):
        chars.insert(rnd.randrange(len(chars) + 1), rnd.choice([BOM, "\x00"]))
    return "".join(chars)


def _essence(parsed) -> list[tuple]:
    """What must survive: every message with its text, trailing blanks of lines aside, and its chat."""
    return [(*row[:2], "\n".join(x.rstrip(" \t") for x in row[2].split("\n")).strip(), *row[3:], m.chat)
            for row, m in zip(rows(parsed), parsed.messages)]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(chats().filter(lambda c: len(c[2]) > 1), min_size=1, max_size=3), st.integers(0, 2**32))
def test_mutated_exports_lose_no_message_and_cut_no_chat(exports, seed):
    """Exports of two messages or more: a lone header of another layout is a quoted line (test_parsing), whose
    text the mutations would change."""
    text = "".join(t for _, t, _ in exports)
    original = parse_text(text)
    assert stray(original) == 0
    headers = set(accumulate((m.lines for m in original.messages[:-1]), initial=0))
    mutated = parse_text(_mutate(text, random.Random(seed), headers))
    assert _essence(mutated) == _essence(original)
    check_lines(mutated)
