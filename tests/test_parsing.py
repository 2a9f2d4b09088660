"""gemelo.parsing: every export variant of ../shared/notes/whatsapp-formats.md, the public conformance
fixtures, a round-trip property over all header styles, decoding and bad inputs."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


from gemelo import UserError
from gemelo.parsing import Message, Parsed, jsonl, parse_path, parse_text
from gemelo.parsing import fast

LRM, NBSP, NNBSP, BOM = "\u200e", "\u00a0", "\u202f", "\ufeff"
CONFORMANCE = Path(__file__).parent / "data" / "conformance" / "chat-miner"  # vendored, MIT: see its LICENSE


def rows(parsed: Parsed) -> list[tuple]:
    return [(m.ts, m.author, m.text, m.kind, m.edited) for m in parsed.messages]


def one(text: str) -> Message:
    parsed = parse_text(text)
    assert len(parsed.messages) == 1, rows(parsed)
    return parsed.messages[0]


def stray(parsed: Parsed) -> int:
    return sum(parsed.dropped.values())


def check_lines(parsed: Parsed) -> None:
    assert parsed.lines_read == sum(m.lines for m in parsed.messages) + stray(parsed)


MODES = ["fast", "reference"]
FAST = fast.parse


def set_mode(mode: str) -> None:
    """fast: the fast path where it applies (as parse_text runs); reference: the reference parser always."""
    fast.parse = FAST if mode == "fast" else lambda raw, chat: None


def parse_all_modes(text: str, chat: str = "chat") -> list[Parsed]:
    try:
        results = []
        for mode in MODES:
            set_mode(mode)
            results.append(parse_text(text, chat))
        return results
    finally:
        set_mode("fast")


@pytest.fixture(params=MODES)
def every_mode(request):
    """Run a test in every mode (see set_mode)."""
    set_mode(request.param)
    yield request.param
    set_mode("fast")


# --------------------------------------------------------------------------------------------------
# Header styles
# --------------------------------------------------------------------------------------------------
HEADERS = [
    ("21/08/22, 19:40 - Flor: nos vemos", datetime(2022, 8, 21, 19, 40), "Flor", "nos vemos"),
    ("20/6/2017 8:28 p. m. - Michelle: test", datetime(2017, 6, 20, 20, 28), "Michelle", "test"),
    ("8/21/21, 11:06 PM - NAME: MESSAGE", datetime(2021, 8, 21, 23, 6), "NAME", "MESSAGE"),
    (f"3/24/23, 1:54{NNBSP}PM - Ana: hi", datetime(2023, 3, 24, 13, 54), "Ana", "hi"),
    (f"3/6/2018 1:55 p.{NBSP}m. - a: m", datetime(2018, 6, 3, 13, 55), "a", "m"),
    (f"3/6/2018 1:55{NBSP}p.{NBSP}m. - a: m", datetime(2018, 6, 3, 13, 55), "a", "m"),
    (f"3/6/2018{NNBSP}1:55{NNBSP}a.{NNBSP}m.{NNBSP}- a: m", datetime(2018, 6, 3, 1, 55), "a", "m"),
    ("06.08.2016, 13:23 - Ash: Hey", datetime(2016, 8, 6, 13, 23), "Ash", "Hey"),
    ("26-04-2022 12:11 - name: message", datetime(2022, 4, 26, 12, 11), "name", "message"),
    ("2022/12/14, 13:34. - John Doe: hola", datetime(2022, 12, 14, 13, 34), "John Doe", "hola"),
    ("2022-12-14 13:34 - John Doe: hola", datetime(2022, 12, 14, 13, 34), "John Doe", "hola"),
    ("[29/9/20 10:13:49] Noe: hola", datetime(2020, 9, 29, 10, 13, 49), "Noe", "hola"),
    ("[30/04/23, 5:33:19 PM] Sam: Hi", datetime(2023, 4, 30, 17, 33, 19), "Sam", "Hi"),
    ("[05.05.23, 15:48:11] James: Hi", datetime(2023, 5, 5, 15, 48, 11), "James", "Hi"),
    ("[3/27/22, 21:41:35] Dmitry: Hola", datetime(2022, 3, 27, 21, 41, 35), "Dmitry", "Hola"),
    ("[25/09/20 10:27:18 a.m.] name : message", datetime(2020, 9, 25, 10, 27, 18), "name", "message"),
    ("[25/09/20 10:27:18 p.m.] name: message", datetime(2020, 9, 25, 22, 27, 18), "name", "message"),
    ("13.6.2018 klo 21.25.15 - a: m", datetime(2018, 6, 13, 21, 25, 15), "a", "m"),
    ("12/07/2017 à 22:35 - b: c", datetime(2017, 7, 12, 22, 35), "b", "c"),
    ("25/12/21, 9:05 am - Ana: x", datetime(2021, 12, 25, 9, 5), "Ana", "x"),
    ("25/12/21, 9:05 pm - Ana: x", datetime(2021, 12, 25, 21, 5), "Ana", "x"),
    ("25/12/2021, 12:05 a. m. - Ana: x", datetime(2021, 12, 25, 0, 5), "Ana", "x"),
    ("25/12/2021, 00:08 a. m. - Ana: x", datetime(2021, 12, 25, 0, 8), "Ana", "x"),
    ("25/12/2021, 12:05 p. m. - Ana: x", datetime(2021, 12, 25, 12, 5), "Ana", "x"),
    ("25/12/2021, 11:59 p. m. - Ana: x", datetime(2021, 12, 25, 23, 59), "Ana", "x"),
    ("25/12/2021, 12:00 AM - Ana: x", datetime(2021, 12, 25, 0, 0), "Ana", "x"),
    ("25/12/2021 12:00 - Ana: x", datetime(2021, 12, 25, 12, 0), "Ana", "x"),
]


@pytest.mark.parametrize(("line", "ts", "author", "text"), HEADERS, ids=[h[0] for h in HEADERS])
def test_header_styles(line, ts, author, text, every_mode):
    m = one(line + "\n")
    assert (m.ts, m.author, m.text, m.kind, m.edited) == (ts, author, text, "text", False)
    assert m.chat == "chat" and m.lines == 1


def test_message_fields_and_to_json():
    m = one("14/03/23, 9:17 - Flor: hola\n")
    assert m.to_json() == {
        "ts": "2023-03-14T09:17:00", "author": "Flor", "text": "hola", "kind": "text", "edited": False, "chat": "chat",
    }  # fmt: skip
    with pytest.raises(AttributeError):
        m.text = "x"  # frozen
    assert type(m) is Message


# --------------------------------------------------------------------------------------------------
# Invisible characters, line endings, authors, bodies
# --------------------------------------------------------------------------------------------------
def test_bom_crlf_lrm(every_mode):
    text = (
        f"{BOM}[18/03/22, 14:56:00] Elon: {LRM}Los mensajes y las llamadas están cifrados de extremo a extremo.\r\n"
        f"{LRM}[18/03/22, 14:57:00] Elon: {LRM}imagen omitida\r\n"
        "[18/03/22, 14:58:01] Ana: hola\r\nqué tal\r\n"
    )
    parsed = parse_text(text)
    assert rows(parsed) == [
        (datetime(2022, 3, 18, 14, 56), "Elon", "Los mensajes y las llamadas están cifrados de extremo a extremo.", "system", False),
        (datetime(2022, 3, 18, 14, 57), "Elon", "imagen omitida", "media", False),
        (datetime(2022, 3, 18, 14, 58, 1), "Ana", "hola\nqué tal", "text", False),
    ]  # fmt: skip
    assert [m.lines for m in parsed.messages] == [1, 1, 2]
    check_lines(parsed)


@pytest.mark.parametrize("tilde", [f"~{NNBSP}", "~ "])
def test_tilde_phone_and_emoji_authors(tilde, every_mode):
    text = (
        f"21/08/22, 19:40 - {tilde}Pepe: hola\n"
        "21/08/22, 19:41 - +54 9 351 555-1234: che\n"
        "21/08/22, 19:42 - 🤓: Lorem ipsum 🤓\n"
        "21/08/22, 19:43 - John Doe 🤓: x\n"
        f"21/08/22, 19:44 - {tilde}+54 9 11 5555-0000: y\n"
    )
    assert [m.author for m in parse_text(text).messages] == [
        "Pepe", "+54 9 351 555-1234", "🤓", "John Doe 🤓", "+54 9 11 5555-0000",
    ]  # fmt: skip


def test_colon_space_in_body_and_author_dot(every_mode):
    text = (
        "10/06/20, 15:55 - John-John Doe: Lorem ipsum : dolor: sit amet.\n"
        "20/01/19, 11:23 - John Doe:.\n"
        "20/01/19, 11:24 - Ana: Ubicación: la de siempre\n"
        "20/01/19, 11:25 - Ana: nota: 10:30 hs\n"
    )
    assert rows(parse_text(text)) == [
        (datetime(2020, 6, 10, 15, 55), "John-John Doe", "Lorem ipsum : dolor: sit amet.", "text", False),
        (datetime(2019, 1, 20, 11, 23), "John Doe", ".", "text", False),
        (datetime(2019, 1, 20, 11, 24), "Ana", "Ubicación: la de siempre", "text", False),
        (datetime(2019, 1, 20, 11, 25), "Ana", "nota: 10:30 hs", "text", False),
    ]


def test_date_looking_body_lines_stay_in_the_message(every_mode):
    body = "hola\n20.15.21.15 hs nos vemos\n21/08/22 19:40 algo\n21/08/22, 19:40 sin guion\n[21/08/22 19:40 sin cierre"
    parsed = parse_text(f"21/08/22, 19:40 - Flor: {body}\n21/08/22, 19:41 - Ana: ok\n")
    assert [m.text for m in parsed.messages] == [body, "ok"]
    assert [m.lines for m in parsed.messages] == [5, 1]


def test_impossible_dates_and_times_are_body_lines(every_mode):
    text = "21/08/22, 19:40 - Flor: a\n20/15/21, 15:00 - no es: header\n21/08/22, 25:40 - tampoco: x\n21/08/22, 19:41 - Ana: b\n"
    assert [m.text for m in parse_text(text).messages] == [
        "a\n20/15/21, 15:00 - no es: header\n21/08/22, 25:40 - tampoco: x", "b",
    ]  # fmt: skip


def test_multiline_blank_lines_junk_and_stray_lines(every_mode):
    text = "Exported chat\n\n21/08/22, 19:40 - Flor: uno\n\ntres\n21/08/22, 19:41 - Ana: b\n\n\n"
    parsed = parse_text(text)
    assert [m.text for m in parsed.messages] == ["uno\n\ntres", "b"]
    assert [m.lines for m in parsed.messages] == [3, 1]
    assert parsed.lines_read == 8 and parsed.dropped == {"not_a_message": 2, "empty": 2}
    check_lines(parsed)


def test_no_headers_and_empty_text():
    assert (parse_text("").messages, parse_text("").lines_read, stray(parse_text(""))) == ([], 0, 0)
    p = parse_text("hola\nnada\n")
    assert (p.messages, p.lines_read, p.dropped) == ([], 2, {"not_a_message": 2})


# --------------------------------------------------------------------------------------------------
# Day/month order per export
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lines", "first"),
    [
        (["02/03/21, 10:00", "25/03/21, 10:00"], datetime(2021, 3, 2, 10)),  # first field over 12: day first
        (["03/02/21, 10:00", "03/25/21, 10:00"], datetime(2021, 3, 2, 10)),  # second over 12: month first
        (["05/03/21, 10:00", "06/02/21, 10:00"], datetime(2021, 5, 3, 10)),  # day first would go backwards
        (["03/05/21, 10:00", "02/06/21, 10:00"], datetime(2021, 5, 3, 10)),  # month first would go backwards
        (["01/02/21, 10:00", "01/02/21, 11:00"], datetime(2021, 2, 1, 10)),  # no evidence: day first
        (["2021/03/02, 10:00", "2021/03/04, 10:00"], datetime(2021, 3, 2, 10)),  # year first: y-m-d
        (["2021/13/02, 10:00"], datetime(2021, 2, 13, 10)),  # year first, second field over 12: y-d-m
    ],
)
def test_day_month_order_is_inferred(lines, first, every_mode):
    parsed = parse_text("".join(f"{h} - A: x{i}\n" for i, h in enumerate(lines)))
    assert parsed.messages[0].ts == first
    assert len({m.chat for m in parsed.messages}) == 1


def test_exports_pasted_are_told_apart_by_their_dates_not_by_boms(every_mode):
    us = "1/02/21, 10:00 - Ann: hi\n1/20/21, 11:00 - Bob: yo\n"
    es = "02/01/21, 10:00 - Ana: hola\n20/01/21, 11:00 - Beto: che\n"
    parsed = parse_text(BOM + us + BOM + es)
    assert [(m.ts, m.author, m.chat) for m in parsed.messages] == [
        (datetime(2021, 1, 2, 10), "Ann", "chat"),
        (datetime(2021, 1, 20, 11), "Bob", "chat"),
        (datetime(2021, 1, 2, 10), "Ana", "chat#2"),
        (datetime(2021, 1, 20, 11), "Beto", "chat#2"),
    ]
    # a BOM where the time goes on is no boundary: one export, month first all along (1/20)
    parsed = parse_text(us + BOM + "03/02/21, 10:00 - Ana: a\n03/02/21, 11:00 - Beto: b\n")
    assert [m.ts.month for m in parsed.messages] == [1, 1, 3, 3] and {m.chat for m in parsed.messages} == {"chat"}


def test_two_exports_pasted_without_bom():
    us = "1/02/21, 10:00 - Ann: hi\n1/20/21, 11:00 - Bob: yo\n"
    es = "02/01/21, 10:00 - Ana: hola\n20/01/21, 11:00 - Beto: che\n"
    parsed = parse_text(us + es)
    assert [(m.ts.day, m.ts.month, m.chat) for m in parsed.messages] == [
        (2, 1, "chat"), (20, 1, "chat"), (2, 1, "chat#2"), (20, 1, "chat#2"),
    ]  # fmt: skip


def test_exports_split_where_time_goes_back_or_style_changes(every_mode):
    a = "20/05/21, 11:00 - Ana: a\n21/05/21, 11:00 - Ana: b\n"
    b = "10/01/20, 09:00 - Beto: c\n11/01/20, 09:00 - Beto: d\n"
    ios = "[01/02/19, 10:00:00] Caro: e\n[02/02/19, 10:00:00] Caro: f\n"
    parsed = parse_text(a + b + ios)
    assert [m.chat for m in parsed.messages] == ["chat"] * 2 + ["chat#2"] * 2 + ["chat#3"] * 2
    # the time going back a little (messages arriving late, a DST change) is no new export
    parsed = parse_text("20/05/21, 11:00 - Ana: a\n20/05/21, 10:05 - Beto: b\n20/05/21, 11:10 - Ana: c\n")
    assert {m.chat for m in parsed.messages} == {"chat"}


def test_quoted_header_of_another_style_stays_in_its_message(every_mode):
    text = (
        "20/01/21, 11:00 - Ana: mirá lo que me pasaron:\n[19/01/21, 10:00:05] Caro: copiado\n"
        "21/01/21, 12:00 - Beto: ok\n"
    )
    parsed = parse_text(text)
    assert [m.text for m in parsed.messages] == ["mirá lo que me pasaron:\n[19/01/21, 10:00:05] Caro: copiado", "ok"]
    assert {m.chat for m in parsed.messages} == {"chat"}


def test_boms_anywhere_are_ignored(every_mode):
    text = f"{BOM}Chat export\n20/01/21, 11:00 - Ana: a {BOM}b\n{BOM}[20/01/21, 11:01 - Beto: c\n{BOM}20/01/21, 11:02 - Caro: d\n"
    parsed = parse_text(text)
    assert [(m.text, m.chat) for m in parsed.messages] == [("a b\n[20/01/21, 11:01 - Beto: c", "chat"), ("d", "chat")]
    assert (parsed.lines_read, parsed.dropped) == (4, {"not_a_message": 1})
    text = f"20/01/21, 11:00 - Ana: a\n{BOM}Chat export\n01/01/20, 10:00 - Beto: b\n"  # a title between exports
    parsed = parse_text(text)
    assert [(m.text, m.chat) for m in parsed.messages] == [("a\nChat export", "chat"), ("b", "chat#2")]


def test_messages_are_built_once_from_the_columns():
    text = "20/01/21, 11:00 - Ana: a\n20/01/21, 11:01 - Beto: b\n"
    parsed = parse_text(text)
    assert "messages" not in vars(parsed)  # JSON Lines are written straight from the columns
    assert parsed.messages is parsed.messages and list(parsed) == parsed.messages
    set_mode("reference")
    try:
        assert parse_text(text) == Parsed([parsed.messages], 2)
    finally:
        set_mode("fast")


# --------------------------------------------------------------------------------------------------
# Kinds
# --------------------------------------------------------------------------------------------------
MEDIA = [
    "<Multimedia omitido>", "<Media omitted>", "<Archivo omitido>", "IMG-20210428-WA0001.jpg (archivo adjunto)",
    "PTT-20210428-WA0002.opus (archivo adjunto)", "DOC-1.pdf (file attached)", f"{LRM}imagen omitida",
    "image omitted", f"{LRM}audio omitido", "Video omitido", f"{LRM}vídeo omitido", f"{LRM}sticker omitido",
    "GIF omitido", f"{LRM}Tarjeta de contacto omitida", f"{LRM}x.pdf • 2 páginas documento omitido",
    "Informe.pdf • 3 pages document omitted", "<adjunto: 00000030-PHOTO-2020-09-29-10-13-49.jpg>",
    f"{LRM}<attached: 00000042-PHOTO-2021-01-01-10-00-00.jpg>", "Ubicación: https://maps.google.com/?q=-31.4,-64.2",
    "location: https://maps.google.com/?q=1,2", "ubicación en tiempo real compartida", "null",
]  # fmt: skip
DELETED = [
    "Se eliminó este mensaje.", "Este mensaje fue eliminado", f"{LRM}Este mensaje fue eliminado.",
    "Eliminaste este mensaje.", "This message was deleted", f"{LRM}This message was deleted.", "You deleted this message",
]  # fmt: skip


@pytest.mark.parametrize("body", MEDIA)
def test_media(body, every_mode):
    m = one(f"21/08/22, 19:40 - Flor: {body}\n")
    assert (m.author, m.text, m.kind) == ("Flor", body.lstrip(LRM), "media")


def test_media_with_caption_on_next_line(every_mode):
    m = one("21/08/22, 19:40 - Flor: IMG-20210428-WA0001.jpg (archivo adjunto)\nmirá esto\n")
    assert (m.text, m.kind, m.lines) == ("IMG-20210428-WA0001.jpg (archivo adjunto)\nmirá esto", "media", 2)


@pytest.mark.parametrize("body", DELETED)
def test_deleted(body, every_mode):
    m = one(f"[21/08/22, 19:40:00] Flor: {body}\n")
    assert (m.author, m.text, m.kind) == ("Flor", body.lstrip(LRM), "deleted")


@pytest.mark.parametrize("mark", ["<Se editó este mensaje.>", "<This message was edited>"])
def test_edited_marker_is_stripped(mark, every_mode):
    m = one(f"21/08/22, 19:40 - Flor: nos vemos mañana {mark}\n")
    assert (m.text, m.kind, m.edited) == ("nos vemos mañana", "text", True)
    m = one(f"[21/08/22, 19:40:00] Flor: {LRM}hola\nchau {LRM}{mark}\n")
    assert (m.text, m.edited, m.lines) == ("hola\nchau", True, 2)


ANDROID_SYSTEM = [
    "Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este chat, ni siquiera "
    "WhatsApp, puede leerlos ni escucharlos. Toca para obtener más información.",
    "Tus mensajes y llamadas ahora están protegidos con cifrado de extremo a extremo. Toca para más información.",
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.",
    "Carlos cambió el asunto del grupo a: Ventas",
    'Carlos cambió el asunto de "Viejo: nombre" a "Nuevo: nombre"',
    "Carlos cambió la descripción del grupo",
    "Carlos changed the subject to: Sales",
    'Carlos created group "Familia: 2024"',
    'Creaste el grupo "Asado"',
    "+54 9 351 555-1234 se unió usando el enlace de invitación de este grupo",
    "Juan salió del grupo",
    "Juan añadió a Pedro",
    "Juan eliminó a Pedro",
    "Cambió tu código de seguridad con Flor. Toca para obtener más información.",
    "Your security code with Flor changed. Tap to learn more.",
    "Llamada perdida",
    "Videollamada perdida",
    "Missed voice call",
    "Activaste los mensajes temporales. Los mensajes nuevos desaparecerán de este chat 7 días después de enviarse.",
    "Bloqueaste a este contacto.",
    "Desbloqueaste a este contacto.",
    "Flor cambió su número de teléfono a uno nuevo.",
    "You were added",
    "Ahora eres admin. del grupo",
    "+12 345 578 created group \"Groupname\"",
]


@pytest.mark.parametrize("body", ANDROID_SYSTEM)
def test_android_system_lines_have_no_author(body, every_mode):
    m = one(f"24/5/21, 15:18 - {body}\n")
    assert (m.author, m.text, m.kind) == (None, body, "system")


@pytest.mark.parametrize(
    "body",
    [
        "Los mensajes y las llamadas están cifrados de extremo a extremo. Solo las personas en este chat pueden "
        "leerlos, escucharlos o compartirlos.",
        "Messages and calls are end-to-end encrypted. No one outside of this chat can read them.",
        "Carlos cambió el asunto del grupo a: Ventas",
        "Juan te añadió",
        "Cambió tu código de seguridad con Flor.",
        "Llamada de voz perdida",
        "Missed video call",
        "Juan left",
    ],
)
def test_ios_system_lines_behind_the_chat_name(body, every_mode):
    m = one(f"[3/18/22, 14:56:00] Grupo 🎉: {LRM}{body}\n")
    assert (m.author, m.text, m.kind) == ("Grupo 🎉", body, "system")


def test_user_text_that_merely_mentions_events_is_text(every_mode):
    for body in ["salió del grupo jaja", "me añadió a la lista", "left early", "cambió el asunto, viste?"]:
        assert one(f"24/5/21, 15:18 - Flor: {body}\n").kind == "text"


# --------------------------------------------------------------------------------------------------
# Conformance fixtures (chat-miner, MIT)
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(p.name for p in CONFORMANCE.glob("*.txt")))
def test_conformance(name, every_mode):
    target = json.loads((CONFORMANCE / "target.json").read_text(encoding="utf-8"))
    expected = [(datetime.fromisoformat(t["timestamp"]), t["author"], t["message"]) for t in reversed(target)]
    parsed = parse_path(CONFORMANCE / name)
    check_lines(parsed)
    users = [m for m in parsed.messages if m.kind != "system"]
    # by design: newlines kept (chat-miner joins with a space); the `Author:.` line kept
    assert [(m.ts, m.author, m.text.replace("\n", " ")) for m in users if m.text != "."] == expected
    assert [(m.author, m.text) for m in users if m.text == "."] == [("John Doe", ".")]
    system = [(m.ts, m.author, m.text) for m in parsed.messages if m.kind == "system"]
    assert system == [
        (datetime(2020, 6, 20, 0, 8), None, '+12 345 578 created group "Groupname"'),
        (datetime(2020, 6, 30, 9, 10), None, "You were added"),
    ]
    assert all(m.chat == name for m in parsed.messages)


# --------------------------------------------------------------------------------------------------
# Round trip: random chats rendered in every export style parse back to the same messages
# --------------------------------------------------------------------------------------------------
def _h12(ts: datetime) -> tuple[int, bool]:
    return (ts.hour % 12 or 12), ts.hour >= 12


STYLES = {
    "android_es_24": (lambda ts: f"{ts:%d/%m/%y}, {ts.hour}:{ts:%M} - ", False),
    "android_es_24_unpadded": (lambda ts: f"{ts.day}/{ts.month}/{ts:%y}, {ts:%H:%M} - ", False),
    "android_en_12_nnbsp": (
        lambda ts: f"{ts.month}/{ts.day}/{ts:%y}, {_h12(ts)[0]}:{ts:%M}{NNBSP}{'PM' if _h12(ts)[1] else 'AM'} - ",
        False,
    ),
    "android_es_12_nbsp": (
        lambda ts: f"{ts.day}/{ts.month}/{ts.year} {_h12(ts)[0]}:{ts:%M} {'p' if _h12(ts)[1] else 'a'}.{NBSP}m. - ",
        False,
    ),
    "android_es_12_nnbsp": (
        lambda ts: f"{ts.day}/{ts.month}/{ts:%y}, {_h12(ts)[0]}:{ts:%M}{NNBSP}{'p' if _h12(ts)[1] else 'a'}. m. - ",
        False,
    ),
    "android_es_12_mixed_spaces": (  # the space inside "p. m." is NBSP in some lines only, as in real exports
        lambda ts: f"{ts.day}/{ts.month}/{ts:%y}, {_h12(ts)[0]}:{ts:%M}{[NNBSP, ' '][ts.minute % 2]}"
        f"{'p' if _h12(ts)[1] else 'a'}.{[NBSP, ' '][ts.minute % 3 > 0]}m. - ",
        False,
    ),
    "ios_es_12_mixed_spaces": (
        lambda ts: f"[{ts.day}/{ts.month}/{ts:%y}, {_h12(ts)[0]}:{ts:%M:%S}{NNBSP}"
        f"{'p' if _h12(ts)[1] else 'a'}.{[NBSP, ' '][ts.second % 2]}m.] ",
        True,
    ),
    "android_es_12_lower": (
        lambda ts: f"{ts:%d/%m/%Y}, {_h12(ts)[0]:02d}:{ts:%M} {'pm' if _h12(ts)[1] else 'am'} - ",
        False,
    ),
    "ios_24": (lambda ts: f"[{ts:%d/%m/%y}, {ts:%H:%M:%S}] ", True),
    "ios_24_nocomma": (lambda ts: f"[{ts.day}/{ts.month}/{ts:%y} {ts:%H:%M:%S}] ", True),
    "ios_en_12": (
        lambda ts: f"[{ts.month}/{ts.day}/{ts:%y}, {_h12(ts)[0]}:{ts:%M:%S}{NNBSP}{'PM' if _h12(ts)[1] else 'AM'}] ",
        True,
    ),
    "ios_es_am": (
        lambda ts: f"[{ts:%d/%m/%y} {_h12(ts)[0]:02d}:{ts:%M:%S} {'p.m.' if _h12(ts)[1] else 'a.m.'}] ",
        True,
    ),
    "ios_dotted": (lambda ts: f"[{ts:%d.%m.%y}, {ts:%H:%M:%S}] ", True),
    "dotted": (lambda ts: f"{ts:%d.%m.%Y}, {ts:%H:%M} - ", False),
    "dashed": (lambda ts: f"{ts:%d-%m-%Y} {ts:%H:%M} - ", False),
    "year_first": (lambda ts: f"{ts:%Y/%m/%d}, {ts:%H:%M}. - ", False),
    "year_first_dashed": (lambda ts: f"{ts:%Y-%m-%d} {ts:%H:%M} - ", False),
}

AUTHORS = [("Flor", "Flor"), ("Juan Pablo", "Juan Pablo"), ("+54 9 351 555-1234", "+54 9 351 555-1234"),
           ("🤓", "🤓"), ("Mamá ❤️", "Mamá ❤️"), (f"~{NNBSP}Pepe", "Pepe"), ("~ +34 600 11 22 33", "+34 600 11 22 33"),
           ("John-John Doe", "John-John Doe")]  # fmt: skip
WORDS = st.sampled_from(
    ["hola", "che", "nos vemos", "qué onda", "mañana", "ñandú", "😂", "🤓", "jaja", "reunión:", "a las 19 hs",
     "nota: x", "Lorem ipsum : dolor", '"comillas"', "barra \\ invertida", "tab\there", "12/05", "19:40", "-", "]",
     "20.15.21.15 hs", "21/08/22 19:40 algo", "[21/08/22", "omitido?", "(ok)"]  # fmt: skip
)
LINE = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)
TEXT = st.lists(LINE, min_size=1, max_size=4).map("\n".join)
MEDIA_RT = {  # (as written on Android, as written on iOS) -> parsed text
    "android": ["<Multimedia omitido>", "<Media omitted>", "IMG-20210428-WA0001.jpg (archivo adjunto)",
                "DOC-1.pdf (file attached)\nel informe", "null", "Ubicación: https://maps.google.com/?q=1,2"],
    "ios": [f"{LRM}imagen omitida", f"{LRM}audio omitido", f"{LRM}<adjunto: 00000030-PHOTO-2020-09-29-10-13-49.jpg>",
            f"{LRM}x.pdf • 2 páginas documento omitido", "image omitted"],
}  # fmt: skip
DELETED_RT = {"android": ["Se eliminó este mensaje.", "This message was deleted"],
              "ios": [f"{LRM}Este mensaje fue eliminado.", f"{LRM}You deleted this message."]}  # fmt: skip
SYSTEM_RT = ["Carlos cambió el asunto del grupo a: Ventas", "Juan salió del grupo", "Missed voice call",
             "+54 9 351 555-1234 se unió usando el enlace de invitación de este grupo"]  # fmt: skip


@st.composite
def chats(draw):
    """(style name, rendered text, expected (ts, author, text, kind, edited) rows)."""
    name = draw(st.sampled_from(sorted(STYLES)))
    render, ios = STYLES[name]
    platform = "ios" if ios else "android"
    ts = datetime(draw(st.integers(2010, 2030)), draw(st.integers(1, 12)), 25, draw(st.integers(0, 23)),
                  draw(st.integers(0, 59)), draw(st.integers(0, 59)) if ios else 0)  # fmt: skip
    n = draw(st.integers(1, 12))
    lines, expected = [], []
    for i in range(n):
        if i:
            ts += timedelta(seconds=draw(st.sampled_from([0, 1, 59, 60, 3600, 86400, 86400 * 40])))
            if not ios:
                ts = ts.replace(second=0)
        kind = draw(st.sampled_from(["text", "text", "text", "edited", "media", "deleted", "system"]))
        written, author = draw(st.sampled_from(AUTHORS))
        if kind in ("text", "edited"):
            body = draw(TEXT)
            shown = body + (" <Se editó este mensaje.>" if kind == "edited" else "")
            lines.append(f"{render(ts)}{written}: {shown}")
            expected.append((ts, author, body, "text", kind == "edited"))
        elif kind in ("media", "deleted"):
            body = draw(st.sampled_from((MEDIA_RT if kind == "media" else DELETED_RT)[platform]))
            lines.append(f"{LRM if ios and body.startswith(LRM) else ''}{render(ts)}{written}: {body}")
            expected.append((ts, author, body.lstrip(LRM), kind, False))
        elif ios:
            body = draw(st.sampled_from(SYSTEM_RT))
            lines.append(f"{render(ts)}Grupo 🎉: {LRM}{body}")
            expected.append((ts, "Grupo 🎉", body, "system", False))
        else:
            body = draw(st.sampled_from(SYSTEM_RT))
            lines.append(f"{render(ts)}{body}")
            expected.append((ts, None, body, "system", False))
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = BOM + text
    return name, text, expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chats())
def test_round_trip_every_style(chat):
    name, text, expected = chat
    for mode, parsed in zip(MODES, parse_all_modes(text, chat=name)):
        assert rows(parsed) == expected, (name, mode)
        assert {m.chat for m in parsed.messages} == {name}
        assert stray(parsed) == 0
        check_lines(parsed)


@settings(max_examples=100, deadline=None)
@given(chats())
def test_the_fast_path_takes_every_export_of_one_layout(chat):
    """So that the comparisons with the reference above test it (it may not hand a usual file back)."""
    from gemelo.parsing.text import normalise

    name, text, _ = chat
    assert FAST(normalise(text.encode()), name) is not None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["21/08/22, 19:40 - ", "[21/08/22, 19:40:00] ", "", "20/15/21, 10:00 - "]),
                          st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)), max_size=8))  # fmt: skip
def test_any_text_all_modes_agree(parts_):
    text = "\n".join(h + t for h, t in parts_)
    quick, *others = parse_all_modes(text)
    for other in others:
        assert quick.messages == other.messages
        assert (quick.lines_read, quick.dropped, quick.unrecognised) == (other.lines_read, other.dropped, other.unrecognised)
        assert jsonl(quick) == jsonl(other)
    check_lines(quick)


@settings(max_examples=60, deadline=None)
@given(chats())
def test_jsonl_is_json_dumps(chat):
    _, text, _ = chat
    text += '21/08/22, 19:40 - A: "q" \\ \x01\n'  # a quote, a backslash, a control character
    parsed = parse_text(text)
    expected = "".join(json.dumps(m.to_json(), ensure_ascii=False) + "\n" for m in parsed.messages).encode()
    assert jsonl(parse_text(text)) == expected  # straight from the columns
    assert jsonl(Parsed([parsed.messages], 0)) == expected  # from Message objects


# --------------------------------------------------------------------------------------------------
# parse_path: encodings, zips, folders
# --------------------------------------------------------------------------------------------------
CHAT = "21/08/22, 19:40 - Flor: nos vemos mañana 🤓\n21/08/22, 19:41 - Ana: dale\nchau\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: (BOM + s).encode("utf-8"),
        lambda s: (BOM + s).encode("utf-16-le"),
        lambda s: (BOM + s).encode("utf-16-be"),
        lambda s: s.encode("utf-16-le"),
        lambda s: s.encode("utf-16-be"),
        lambda s: s.replace("🤓", "").encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le", "utf16be", "cp1252"],
)
def test_encodings(tmp_path, encode):
    path = tmp_path / "Chat de WhatsApp con Ana.txt"
    path.write_bytes(encode(CHAT))
    parsed = parse_path(path)
    assert [m.author for m in parsed.messages] == ["Flor", "Ana"]
    assert parsed.messages[0].text.startswith("nos vemos mañana")
    assert parsed.messages[1].text == "dale\nchau"
    assert all(m.chat == path.name for m in parsed.messages)
    assert parsed.lines_read == 3


def test_zip_from_the_share_sheet(tmp_path):
    path = tmp_path / "WhatsApp Chat - Ana.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("_chat.txt", (BOM + CHAT.replace("\n", "\r\n")).encode("utf-8"))
        zf.writestr("00000030-PHOTO-2020-09-29-10-13-49.jpg", b"\xff\xd8\xff\x00binary")
        zf.writestr("__MACOSX/._chat.txt", b"\x00\x05\x16\x07")
    parsed = parse_path(path)
    assert [(m.author, m.text, m.chat) for m in parsed.messages] == [
        ("Flor", "nos vemos mañana 🤓", path.name), ("Ana", "dale\nchau", path.name),
    ]  # fmt: skip
    path2 = tmp_path / "android.zip"
    with zipfile.ZipFile(path2, "w") as zf:
        zf.writestr("WhatsApp Chat with Ana.txt", CHAT)
        zf.writestr("IMG-20210428-WA0001.jpg", b"\xff\xd8")
    assert len(parse_path(path2).messages) == 2


def test_folder_of_exports(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Chat de WhatsApp con Beto.txt").write_text("01/01/20, 10:00 - Beto: b\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("[3/27/22, 21:41:35] Ann: a\n", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as zf:
        zf.writestr("_chat.txt", "[5/5/23, 15:48:11] Caro: c\n")
    (tmp_path / "foto.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / ".hidden.txt").write_bytes(b"\x00\x01")
    parsed = parse_path(tmp_path)
    assert [(m.author, m.chat) for m in parsed.messages] == [
        ("Ann", "a.txt"), ("Beto", "b/Chat de WhatsApp con Beto.txt"), ("Caro", "c.zip"),
    ]  # fmt: skip
    assert parsed.messages[0].ts == datetime(2022, 3, 27, 21, 41, 35)
    assert parsed.lines_read == 3
    check_lines(parsed)


# --------------------------------------------------------------------------------------------------
# Bad inputs: UserError naming the path and what to do; via the CLI exit code 2, one line, no output
# --------------------------------------------------------------------------------------------------
def _bad_inputs(tmp_path: Path) -> dict[str, Path]:
    bad = {name: tmp_path / file for name, file in [
        ("missing", "nope.txt"), ("empty", "empty.txt"), ("blank", "blank.txt"), ("binary", "photo.txt"),
        ("no_headers", "notes.txt"), ("undecodable", "latin.txt"), ("zip_no_chat", "fotos.zip"),
        ("zip_no_headers", "otro.zip"), ("bad_zip", "roto.zip"), ("empty_folder", "vacia"),
        ("folder_with_a_bad_file", "mixed"),
    ]}  # fmt: skip
    bad["empty"].write_bytes(b"")
    bad["blank"].write_bytes(b"\xef\xbb\xbf\r\n \n")
    bad["binary"].write_bytes(bytes(range(256)) * 8)
    bad["no_headers"].write_text("hola\nesto no es un chat\n", encoding="utf-8")
    bad["undecodable"].write_bytes(b"caf\xe9 \x81\x8d\x90 sin mensajes\n")
    with zipfile.ZipFile(bad["zip_no_chat"], "w") as zf:
        zf.writestr("IMG-1.jpg", b"\xff\xd8")
    with zipfile.ZipFile(bad["zip_no_headers"], "w") as zf:
        zf.writestr("_chat.txt", "nada\n")
    bad["bad_zip"].write_bytes(b"PK\x03\x04 truncated")
    bad["empty_folder"].mkdir()
    folder = bad["folder_with_a_bad_file"]
    folder.mkdir()
    (folder / "a.txt").write_text(CHAT, encoding="utf-8")
    (folder / "b.txt").write_text("no es un chat\n", encoding="utf-8")
    return bad


BAD = ["missing", "empty", "blank", "binary", "no_headers", "undecodable", "zip_no_chat", "zip_no_headers",
       "bad_zip", "empty_folder", "folder_with_a_bad_file"]  # fmt: skip


@pytest.mark.parametrize("case", BAD)
def test_bad_input_raises_user_error(tmp_path, case):
    path = _bad_inputs(tmp_path)[case]
    with pytest.raises(UserError) as err:
        parse_path(path)
    message = str(err.value)
    assert "\n" not in message
    assert path.name in message or (case == "folder_with_a_bad_file" and "b.txt" in message)
    assert any(w in message for w in ("pass", "export", "check", "remove", "unzip"))


@pytest.mark.parametrize("case", ["missing", "binary", "no_headers", "zip_no_chat", "folder_with_a_bad_file"])
def test_cli_bad_input_exit_2_one_line_no_output(tmp_path, capsys, case):
    from gemelo.cli import main

    path = _bad_inputs(tmp_path)[case]
    assert main(["parse", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("gemelo: error: ")


def test_cli_parse_writes_json_lines(tmp_path, capsys):
    from gemelo.cli import main

    path = tmp_path / "chat.txt"
    path.write_text(CHAT, encoding="utf-8")
    assert main(["parse", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert [json.loads(line) for line in out.splitlines()] == [m.to_json() for m in parse_path(path).messages]
