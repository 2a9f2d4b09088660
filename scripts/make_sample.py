#!/usr/bin/env python3
"""Write synthetic WhatsApp exports to data/sample/ for gemelo's demo and tests.

Everything this script writes is invented. No real person's chats went into it: the people (Martu, Flor,
Tomi, Juli, Nacho, Mamá), the phone numbers (+54 9 11 5555-01xx), the e-mail addresses (@example.com), the
transfer aliases and the links are made up. The sample exists so that the whole pipeline (parse, redact,
build the training set, fine-tune, evaluate) can run and be tested without anyone's private data, and so
that the exports look like real ones in the ways that trip parsers up:

* ``Chat de WhatsApp con Flor.txt``: Android, Spanish locale, 24 h, ``14/03/23, 09:17 - Martu: text``.
* ``WhatsApp Chat - Los Pibes/_chat.txt``: iOS group, 12 h with Spanish markers and seconds,
  ``[14/3/23, 9:17:05 p. m.] Martu: text`` (U+202F before the marker, in some lines U+00A0 inside it),
  CRLF line endings, U+200E before media and system bodies, system lines behind the group name, a
  sender who is not a contact (``~ Nacho`` with U+202F).
* ``Chat de WhatsApp con Mamá.txt``: Android, Spanish locale, 12 h, ``20/6/2023 8:28 p. m. - Mamá: text``.

The exporter is Martu, whose style the model has to learn: bursts of short lower-case messages, no
opening ``¿``/``¡``, ``jajaja``, ``q``/``xq``/``tmb``, ``re``, ``posta``, ``dale``, ``amiga``, elongated
vowels and emojis. Everybody else writes full, capitalised, punctuated sentences, so an author classifier
can tell them apart. Multi-line messages (some with lines that look like times), media, deleted and edited
messages, missed calls, links, phone numbers and e-mail addresses are mixed in at realistic low rates.

Conversations are built from topic templates: a template is a list of steps, each step has several
interchangeable variants and branches keep every reply sensible after what was just said; slots ({place},
{series}, ...) are filled once per conversation.

The output is deterministic: a fixed seed and only the standard library (random, datetime), so running
the script twice gives byte-identical files.

Usage: python scripts/make_sample.py [--out data/sample]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re

SEED = 20230314

LRM = "\u200e"
NBSP = "\u00a0"
NNBSP = "\u202f"

MARTU = "Martu"

# --------------------------------------------------------------------------------------------------
# Slot values. A slot is chosen once per conversation, so the same value comes back when it is reused.
# A slot written with a capital first letter ({Day}) gets its value capitalised. Slots ending in a digit
# ({series2}, {person3}) draw from the same pool as the slot without it, never repeating a value.
# --------------------------------------------------------------------------------------------------

SLOTS: dict[str, list[str]] = {
    "day": ["hoy", "mañana", "el viernes", "el sábado", "el domingo", "el finde", "el jueves",
            "pasado mañana", "el miércoles"],
    "plan": ["ir al cine", "tomar algo", "ir a comer algo", "ir a la feria de San Telmo",
             "ver una peli en casa", "salir a bailar", "tomar mates en el parque", "caminar por Palermo",
             "ir a la muestra del Malba", "probar el bar nuevo de Villa Crespo", "hacer noche de pizza",
             "ir al Rosedal", "ir a la Costanera", "ir a un karaoke", "ver una obra de teatro",
             "ir a la feria del libro", "merendar en la confitería de siempre", "ir a un stand up",
             "ir a la peña de Almagro", "comer sushi", "ir a tomar un helado"],
    "place": ["Palermo", "el centro", "lo de Juli", "Plaza Serrano", "el bar de siempre",
              "Parque Centenario", "Almagro", "Caballito", "San Telmo", "Villa Crespo", "Colegiales",
              "la esquina de Corrientes y Medrano", "Plaza Italia", "el Obelisco", "Parque Chacabuco",
              "Belgrano", "la salida del subte en Pueyrredón", "el Botánico", "Chacarita", "Núñez"],
    "series": ["The Bear", "Succession", "Stranger Things", "La casa de papel", "The Last of Us",
               "Merlina", "Envidiosa", "División Palermo", "Emily en París", "Bridgerton", "Friends",
               "Los Simuladores", "Breaking Bad", "The Office", "Gilmore Girls", "Dark", "Normal People",
               "Beef", "Modern Family", "Okupas", "The White Lotus", "Euphoria", "Ginny & Georgia",
               "The Crown", "Yellowjackets", "Fleabag", "Shrinking", "Poné a Francella"],
    "materia": ["Análisis", "Álgebra", "Economía", "Sociología", "Estadística", "Historia del Arte",
                "Tipografía", "Morfología", "Semiología", "Contabilidad", "Metodología",
                "Comunicación Visual", "Inglés técnico", "Derecho", "Historia", "Fotografía"],
    "food": ["pizza", "empanadas", "sushi", "milanesas", "pastas", "helado", "hamburguesas",
             "choripanes", "facturas", "medialunas", "un guiso", "tacos", "ramen", "fainá",
             "un poke", "comida árabe", "una tarta", "pollo con papas", "sorrentinos", "lomitos"],
    "bus": ["el 60", "el 152", "el 39", "la línea B", "la línea D", "el subte", "el Sarmiento",
            "el Roca", "el 15", "el 109", "el 68", "el 141", "la línea A", "el Mitre", "el 92", "el 12"],
    "person": ["Caro", "Nico", "Lu", "Agus", "Mati", "Sofi", "Cami", "Rochi", "Fran", "Maxi",
               "Belu", "Gonza", "Pili", "Tincho", "Vicky", "Lean"],
    "person2": ["el ex de Sofi", "la prima de Juli", "un chico del trabajo", "su ex", "Maxi",
                "la profe de yoga", "el vecino del quinto", "una chica de la facu", "Gonza", "Pili",
                "el hermano de Cami", "una amiga de Lu"],
    "trip": ["Mar del Plata", "Córdoba", "Bariloche", "Mendoza", "Salta", "Uruguay", "Villa Gesell",
             "Tigre", "Rosario", "Jujuy", "Pinamar", "Colonia", "Mar de las Pampas", "Cafayate",
             "El Chaltén", "Puerto Madryn", "Tandil", "San Martín de los Andes"],
    "season": ["las vacaciones de invierno", "el verano", "Semana Santa", "el finde largo",
               "enero", "febrero", "las vacaciones", "el feriado de mayo", "el finde largo de octubre"],
    "gift": ["un libro", "una planta", "unos aros", "un vino", "una vela", "una taza", "un perfume",
             "una remera", "un cuadrito", "unas medias divertidas", "un termo", "una bufanda",
             "un mate nuevo", "una agenda"],
    "bday": ["Sofi", "Caro", "Lu", "Agus", "Cami", "Rochi", "Belu", "Pili", "Vicky", "Meli"],
    "band": ["Wos", "Tini", "Duki", "Nicki Nicole", "Babasónicos", "Coldplay", "Taylor Swift",
             "Maria Becerra", "Trueno", "Lali", "Ca7riel", "Dillom", "Airbag", "Él Mató",
             "Bizarrap", "Conociendo Rusia", "Divididos", "Miranda!"],
    "obligation": ["estudiar", "ir a lo de mi abuela", "trabajar hasta tarde", "ir al médico",
                   "terminar un trabajo práctico", "ayudar a mi hermana con la mudanza", "ir a un cumple",
                   "cuidar a mis sobrinos", "ir a yoga", "hacer un trámite"],
    "team": ["Boca", "River", "Racing", "Independiente", "San Lorenzo", "Vélez", "Huracán",
             "Estudiantes", "Lanús", "Talleres"],
    "clothes": ["unas zapas", "unas botas", "unas sandalias", "unas remeras", "unas calzas",
                "unas zapatillas de lona", "unas camperas", "unas polleras"],
    "color": ["negras", "blancas", "verdes", "azules", "bordó", "marrones", "rosas", "beige", "violetas"],
    "movie": ["Barbie", "Oppenheimer", "Argentina, 1985", "Relatos salvajes", "Dune",
              "Pobres criaturas", "El secreto de sus ojos", "Intensamente 2", "Wonka",
              "Nueve reinas", "La sociedad de la nieve", "Los delincuentes", "Challengers",
              "Vidas pasadas", "Anatomía de una caída"],
    "book": ["Nuestra parte de noche", "Las cosas que perdimos en el fuego", "Rayuela",
             "El túnel", "Cometierra", "Distancia de rescate", "Kentukis", "Los suicidas del fin del mundo",
             "Las malas", "Cicatrices"],
    "boss": ["mi jefe", "mi jefa", "el gerente", "la de recursos humanos", "el cliente"],
    "task": ["el informe", "la planilla de ventas", "la presentación", "el cierre del mes",
             "la auditoría", "el inventario", "las facturas", "la campaña nueva", "el manual de marca"],
    "illness": ["gripe", "dolor de garganta", "migraña", "anginas", "un resfrío", "dolor de panza",
                "fiebre", "contractura"],
    "amount": ["$4.500", "$6.000", "$3.200", "$8.000", "$5.500", "$12.000", "$7.800", "$2.500",
               "$15.000", "$9.300", "$18.000", "$11.500"],
    "dish": ["ravioles", "tallarines", "asado", "milanesas con puré", "pollo al horno",
             "empanadas", "locro", "guiso de lentejas", "canelones", "pastel de papas", "ñoquis",
             "matambre a la pizza", "tarta de jamón y queso"],
    "relative": ["la abuela", "tu tía Norma", "el tío Carlos", "tu prima Vicky", "tu hermano",
                 "la madrina", "tu primo Joaco"],
    "chore": ["pagar la luz", "sacar turno con el dentista", "renovar el DNI", "llevar la bici al taller",
              "llamar a la abuela", "pagar el alquiler", "pasar a buscar el paquete",
              "devolver el libro a la biblioteca", "hacer el trámite de la obra social"],
}

# Aligned slots: one index is drawn per conversation for the whole group, so {time}, {hs} and {mtime}
# name the same hour.
SLOT_GROUPS: dict[str, dict[str, list[str]]] = {
    "when": {
        "time": ["a las 8", "a las 19", "a las 21", "a las 20.30", "a las 18", "a las 17", "a las 22",
                 "a las 7 de la tarde", "a las 9 de la noche", "a las 20.15", "a las 18.30", "a las 21.45"],
        "hs": ["20 hs", "19 hs", "21 hs", "20.30 hs", "18 hs", "17 hs", "22 hs",
               "19 hs", "21 hs", "20.15 hs", "18.30 hs", "21.45 hs"],
        "mtime": ["8", "7", "9", "8 y media", "6", "5", "10", "7", "9", "8 y cuarto", "6 y media", "10 menos cuarto"],
    },
}
SLOT_GROUP_OF = {k: g for g, d in SLOT_GROUPS.items() for k in d}

PEOPLE = {  # for names the templates can use: {a}, {alias_a}, {email_a}, {fullname_a}, ...
    "Martu": ("martu.perez.mp", "martu.perez@example.com", "Martina Pérez"),
    "Flor": ("flor.gomez.mp", "flor.gomez@example.com", "Florencia Gómez"),
    "Tomi": ("tomi.rios.mp", "tomi.rios@example.com", "Tomás Ríos"),
    "Juli": ("juli.sosa.uala", "juli.sosa@example.com", "Julieta Sosa"),
    "Nacho": ("nacho.ferraro.bna", "nacho.f@example.com", "Ignacio Ferraro"),
    "Mamá": ("casa.perez.bna", "graciela.perez@example.com", "Graciela Pérez"),
}
EMAIL_PROFE = "profe.ruiz@example.com"


def phone(rng: random.Random) -> str:
    return f"+54 9 11 5555-01{rng.choice([n for n in range(100) if n != 77]):02d}"  # 77 is Nacho's


def url(rng: random.Random, kind: str | None = None) -> str:
    abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"

    def ident(n: int) -> str:
        return "".join(rng.choice(abc) for _ in range(n))

    kind = kind or rng.choice(["ig", "ig", "tt", "tt", "yt", "news"])
    if kind == "ig":
        return f"https://www.instagram.com/reel/C{ident(10)}/"
    if kind == "tt":
        return f"https://vm.tiktok.com/ZM{ident(7)}/"
    if kind == "yt":
        return f"https://youtu.be/{ident(11)}"
    if kind == "ml":
        return f"https://articulo.mercadolibre.com.ar/MLA-{rng.randint(1000000000, 1999999999)}"
    if kind == "maps":
        return f"https://maps.app.goo.gl/{ident(17)}"
    if kind == "spot":
        return f"https://open.spotify.com/track/{ident(22)}"
    if kind == "casa":
        return f"https://www.example.com/alquiler/{rng.randint(100000, 999999)}"
    return f"https://www.example.com/nota/{rng.randint(100000, 999999)}"


SPECIAL_SLOTS = {
    "url": url,
    "url_ml": lambda rng: url(rng, "ml"),
    "url_maps": lambda rng: url(rng, "maps"),
    "url_spot": lambda rng: url(rng, "spot"),
    "url_casa": lambda rng: url(rng, "casa"),
    "phone": phone,
    "email_profe": lambda rng: EMAIL_PROFE,
}


def is_raw_slot(key: str) -> bool:
    """Slots whose value Martu does not lower-case (links, addresses)."""
    return key.startswith(("url", "email", "alias"))


# --------------------------------------------------------------------------------------------------
# Conversation templates. A topic is a list of steps; a step is spoken by a role ("M" is Martu, "A", "B",
# "C" are the other people in the chat) and has variants, one of which is chosen; "|" inside a variant
# splits it into a burst of consecutive messages; "\n" is a newline inside one message; a leading "!"
# marks a serious Martu message (no laughs or emojis added). BR picks one of several branches (each a
# list of steps). p is the probability that a step or branch is kept at all (only for endings, so
# what follows still makes sense). <MEDIA:img>, <MEDIA:audio>, <MEDIA:sticker>, <MEDIA:video>,
# <MEDIA:gif> and <CALL> become the platform's "omitted" or missed-call text.
# --------------------------------------------------------------------------------------------------


def S(role: str, *variants: str, p: float = 1.0):
    return ("S", role, variants, p)


def BR(*branches, p: float = 1.0):
    return ("BR", branches, p)


def T(name: str, steps, w: float = 1.0, hours=None, months=None, wd=None, opener: bool = False):
    """hours: list of (from, to) hour ranges (to may wrap past midnight); months, wd: allowed values;
    opener: only as the first topic of a conversation (greetings, calls)."""
    return {"name": name, "steps": steps, "w": w, "hours": hours, "months": months, "wd": wd, "opener": opener}


DAY = [(8, 23)]
WAKING = [(8, 24), (0, 2)]
SUMMER = (11, 12, 1, 2, 3)
WINTER = (5, 6, 7, 8, 9)

FLOR_TOPICS = [
    T("saludo_manana", [
        S("A", "Buen día, ¿cómo amaneciste?", "¡Buen día! ¿Cómo dormiste?", "Buenas, ¿cómo va todo?",
          "¡Hola! ¿Cómo estás hoy?", "Buen día, Martu. ¿Cómo arrancaste la mañana?"),
        BR([
            S("M", "bien bien|y vos?", "re bien|vos amiga?", "holaa|bien y vos?", "buen diaa|todo bien vos?",
              "bien|vos tenés el día libre?",
              "bien|acá arrancando|vos?", "holis|bien bien y vos?"),
            S("A", "Bien, acá en la oficina con el primer café.", "Todo bien, aunque hoy tengo mucho trabajo.",
              "Bien. Recién llego al trabajo.", "Bien, aunque Roco me despertó a las seis para salir.",
              "Bien, con sueño, pero bien."),
            S("M", "bueno|fuerza con el día", "q bien|después hablamos", "dale|después te escribo",
              "ánimo amiga|falta poco para el finde", "jajaja somos dos", p=0.85),
        ], [
            S("M", "mal|dormí como 4 horas", "con un sueño q no puedo", "holaa|muerta de sueño", "no sé xq me desperté a las 5",
              "mal|me quedé hasta las 3 viendo tiktoks", "buen dia|necesito 3 cafés"),
            S("A", "¿Otra vez? Hoy acostate temprano.", "Tomate un café y arrancá.",
              "Yo también dormí poco. Somos dos.", "Hoy a la noche dormí una siesta larga, aunque sea."),
            S("M", "siempre", "jajaja posta", "ya voy x el segundo", "hoy me acuesto a las 10|mentira",
              "tal cual"),
        ]),
    ], w=1.0, hours=[(7, 12)], opener=True),
    T("que_haces", [
        S("M", "q hacés", "q hacés amiga", "che q hacés", "hola|q hacés", "q hacés bldo", "q hacés|tenés un minuto?"),
        BR([
            S("A", "Acá, en el trabajo. ¿Vos?", "Trabajando. ¿Vos qué hacés?", "Estoy en una reunión aburridísima. ¿Vos?"),
            S("M", "nada|aburrida en casa", "en la facu|re aburrida la clase", "nada|mirando el techo jajaja",
              "en el laburo tmb|no pasa más la hora"),
            BR([
                S("A", "Jajaja. ¿A qué hora salís?", "¿Y a qué hora terminás?"),
                S("M", "a las {mtime}|y me voy directo a dormir", "no sé|tarde", "ni idea|a este ritmo nunca"),
            ], [
                S("A", "Somos dos. Contame algo divertido.", "Te entiendo. Contame algo para pasar el rato."),
                S("M", "nada divertido|jajaja", "luna tiró una maceta|eso es todo", "no tengo nada|mi vida es un aburrimiento"),
            ]),
        ], [
            S("A", "Nada, mirando una serie en el sillón. ¿Vos?", "Acá, tirada con Roco. ¿Vos?",
              "Cocinando. ¿Vos?"),
            S("M", "lo mismo jajaja", "nada|acá con luna", "envidia|yo todavía en la facu", "nada|aburrida"),
            S("A", "Qué linda vida.", "Jajaja, un domingo cualquiera.", "Venite si querés.", p=0.7),
        ]),
    ], w=1.3, hours=WAKING, opener=True),
    T("plan_flor", [
        S("A", "¿Qué hacés {day}? ¿Te pinta {plan}?", "¿Estás libre {day}? Tenía ganas de {plan}.",
          "Che, ¿{day} hacemos algo? Podríamos {plan}.", "¿Te copás a {plan} {day}?",
          "Hola, Martu. ¿Tenés planes para {day}? Pensaba en {plan}."),
        BR([
            S("M", "siii dale|a q hora?", "altoo plan|me re pinta|a q hora?", "dale amiga|a q hora?",
              "si obvio|vamos", "me encanta|siii", "dale dale|re q sí", "{day}? creo q puedo|q hora pensabas"),
            S("A", "Yo puedo desde {time}. ¿Te sirve?", "¿Te parece {time} en {place}?",
              "Podríamos encontrarnos en {place} {time}.", "Después del trabajo, {time}. ¿Te sirve?",
              "Bueno, quedamos así:\n{hs} en {place}\nSi llueve, lo pasamos a mi casa.",
              "Te paso lo que pensé:\nHora: {hs}\nLugar: {place}\nLlevá abrigo, que a la noche refresca."),
            BR([
                S("M", "sii dale|llevo algo?", "perfecto|llevo algo?", "me sirve|llevo algo?"),
                S("A", "No hace falta, yo tengo todo.", "Traé algo para tomar, si querés.",
                  "Unas galletitas y listo."),
                S("M", "dale", "joya", "ok ok", "dale dale"),
            ], [
                S("M", "perfecto", "dale me sirve", "me queda re bien", "ok ok|ahí estoy", "joya|nos vemos ahí",
                  "a las {mtime}|perfecto"),
                S("A", "Genial. Si llego tarde te aviso.", "Buenísimo, nos vemos ahí.",
                  "Dale. Avisame cuando salgas.", "Bárbaro. Llevo el mate por las dudas.", p=0.6),
                S("M", "dale", "🙌", "nos vemos", "ya quiero", p=0.5),
            ], [
                S("M", "dale|le digo a {person}?", "perfecto|invitamos a {person}?"),
                S("A", "¡Sí! Decile.", "Dale, cuantos más, mejor.", "Sí, hace mil que no nos vemos todos."),
                S("M", "dale le escribo", "ok ok", "listo|ya le dije"),
            ]),
        ], [
            S("M", "uhh {day} no puedo|tengo q {obligation}", "nooo justo {day} tengo q {obligation}|q bronca",
              "no puedo xq tengo q {obligation}|perdón amiga", "bldo {day} no puedo|tengo q {obligation}",
              "ay amiga {day} imposible|tengo q {obligation}"),
            S("A", "Uh, qué lástima. ¿Y la semana que viene?", "No pasa nada, lo hacemos otro día.",
              "Dale, tranqui. ¿El finde que viene?"),
            S("M", "siii la q viene seguro", "dale|la q viene sí o sí", "obvio|lo agendo",
              "perdón amiga|la q viene sí o sí"),
            S("A", "Perfecto, quedamos así.", "Te tomo la palabra.", p=0.5),
        ]),
    ], w=2.2),
    T("plan_martu", [
        S("M", "che|{day} hacemos algo?", "amiga|{day} hacemos algo?", "boluda tengo ganas de {plan}|vamos?",
          "hola|te pinta {plan} {day}?", "amigaaa|necesito salir|{plan} {day}?",
          "che {day} estás?|quiero {plan}", "querés {plan} {day}?|dale vení", "xq no vamos a {plan} {day}?",
          "amiga querés {plan} {day}?"),
        BR([
            S("A", "¡Dale! ¿A qué hora?", "¡Sí! Justo tenía ganas de verte. ¿A qué hora?",
              "Dale, yo estoy libre. Decime hora y lugar.", "Me encanta la idea. ¿Dónde y a qué hora?"),
            S("M", "tipo {mtime}?|en {place}", "en {place} tipo {mtime}", "tipo {mtime}|te paso a buscar?",
              "a las {mtime}?|en {place}?", "{place}|a las {mtime}",
              "quedamos así:\n{hs} en {place}\nno llegues tarde jajaja", "dale|{hs} en {place}\nyo llevo el mate"),
            S("A", "Perfecto, ahí nos vemos.", "Dale, me queda bien.", "Buenísimo. Te escribo cuando salga.",
              "Me sirve. Llevo el mate.", "Genial, no veo la hora."),
            S("M", "🙌", "siii", "dale|nos vemos", "altoo", "joya", p=0.5),
        ], [
            S("A", "Me encantaría, pero {day} no puedo. Tengo que {obligation}. ¿Otro día?",
              "Uf, {day} estoy complicada. ¿Te sirve otro día?",
              "No puedo, tengo que {obligation}. ¡Perdón!"),
            S("M", "nooo|bueno otro día", "uff bueno|la semana q viene?", "q bajón|bueno avisame",
              "ahh dale no pasa nada"),
            S("A", "Sí, la semana que viene seguro. Te aviso.", "Dale, lo hacemos pronto. ¡Prometido!",
              "Perdón, de verdad. La próxima invito yo.", p=0.7),
            S("M", "dale|te tomo la palabra jaja", "ok ok", "jajaja dale", p=0.6),
        ]),
    ], w=2.0),
    T("parcial_despues", [
        S("A", "¿Cómo te fue en el parcial de {materia}?", "¿Y? ¿Cómo te fue en {materia}?",
          "¿Cómo salió el parcial de {materia}?", "Contame, ¿cómo te fue hoy en {materia}?"),
        BR([
            S("M", "aprobéee|con 7", "bieeen|saqué 8", "aprobé amiga|posta pensé q no",
              "bien|aprobé con lo justo jajaja", "re bien|me saqué un 9", "aprobéeee|no lo puedo creer"),
            S("A", "¡Bien ahí! Te dije que te iba a ir bien.", "¡Felicitaciones! Te lo merecés, estudiaste un montón.",
              "¡Qué bueno! Hay que festejar.", "¡Genia! Sabía que ibas a aprobar."),
            BR([
                S("M", "graciasss", "jajaja gracias amiga", "re aliviada posta", "te amo|gracias"),
            ], [
                S("M", "siii hay q festejar|birra?", "hay q festejar|vamos a tomar algo?"),
                S("A", "¡Obvio! El viernes festejamos.", "Dale, esta noche invito yo."),
                S("M", "altoo", "dale", "🙌"),
            ]),
        ], [
            S("M", "!mal|no sé nada", "!mal|me fue re mal", "!ni idea|creo q mal",
              "!mal mal|había cosas q nunca vimos", "!no sé|entregué y me fui"),
            S("A", "No te preocupes, seguro te fue mejor de lo que pensás.",
              "Bueno, siempre está el recuperatorio. No te mates.", "Ay, no. Seguro no fue tan terrible.",
              "Bueno, ya pasó. Ahora descansá."),
            S("M", "ojalá", "si|ya fue", "nada|el recu lo apruebo seguro", "gracias amiga|necesitaba leer eso"),
            S("A", "Esta noche te invito una pizza para levantar el ánimo.", "Te mando un abrazo enorme.",
              "Cuando salga la nota, avisame.", p=0.6),
            S("M", "te amo", "gracias amiga", "❤️", p=0.5),
        ]),
    ], w=1.2),
    T("parcial_antes", [
        S("A", "¡Mucha suerte hoy en el parcial de {materia}!", "Hoy es el parcial de {materia}, ¿no? ¡Suerte!",
          "Mucha mierda hoy en {materia}. Vas a aprobar."),
        S("M", "graciaaas|estoy re nerviosa", "gracias amiga|no dormí nada", "gracias|me sé la mitad jajaja",
          "ayyy gracias|q nervios"),
        S("A", "Vas a estar bien. Estudiaste un montón.", "Tranquila, respirá. Vos sabés.",
          "¡Vamos que sale! Avisame cuando termines."),
        S("M", "ojalá|después te cuento", "dale|te aviso", "te quiero"),
    ], w=0.7, hours=[(7, 14)]),
    T("estudiar", [
        S("M", "no puedo estudiar más|tengo la cabeza quemada", "amiga|{materia} me va a matar",
          "xq elegí esta carrera|jajaja", "vos tmb estás estudiando?|yo no puedo más",
          "llevo 3 horas con el mismo tema|y no entiendo nada",
          "me quedan 2 unidades de {materia}|y el parcial es el {weekday}"),
        BR([
            S("A", "¿Querés que estudiemos juntas mañana?", "¿Estudiamos juntas mañana? Yo también tengo que leer."),
            S("M", "dale|en tu casa?", "siii|x favor", "altoo|llevo facturas"),
            S("A", "Dale, venite después de las cinco.", "Sí, a las cinco en casa. Traé las fotocopias."),
            S("M", "dale", "joya", "te amo", p=0.5),
        ], [
            S("A", "Dale que falta poco. Hacé una pausa y seguí.", "Tomate un descanso, así no rinde.",
              "Vos podés. Acordate del cuatrimestre pasado."),
            S("M", "si tenés razón", "posta|voy a hacer un mate", "bueno|10 minutos de tiktok y vuelvo", "jajaja ok"),
            S("A", "Con mate todo se estudia mejor.", "Fuerza. Yo te banco.", "Después contame cómo vas.", p=0.6),
            S("M", "graciasss", "✨", "te amo|bueno me pongo", p=0.5),
        ], [
            S("A", "¿Querés que te pase mis resúmenes del año pasado?", "Tengo los resúmenes de {materia} de cuando la cursé. ¿Te los paso?"),
            S("M", "siii x favor", "sii|me salvás la vida", "obvio|pasámelos"),
            S("A", "Te los mando por mail a la noche.", "Ahí te los mando.", "Dale, mañana te los paso."),
            S("M", "graciasss", "te amo", "sos la mejor", p=0.6),
        ]),
    ], w=1.1),
    T("trabajo_flor", [
        S("A", "Hoy {boss} me volvió loca. Me cambió {task} tres veces.", "No sabés el día que tuve en el trabajo.",
          "Me quedé hasta las nueve terminando {task}.",
          "Hoy tuvimos una reunión de dos horas que podría haber sido un mail."),
        S("M", "nooo|q pasó", "uff|contame", "mal|otra vez?", "jajaja clásico|q pasó ahora"),
        S("A", "Nada, que cambian todo a último momento y después se quejan de que no llegamos.",
          "Lo de siempre: todo urgente y nadie decide nada.",
          "Te juro que no sé cómo sigo ahí.|Bueno, sí sé: el sueldo.", "Nada nuevo. Mucho trabajo y poca gente."),
        S("M", "q bronca|x dios", "te entiendo tanto", "bldo no te merecés eso", "mandalos a la mierda jajaja|mentira no",
          "a mí tmb me pasa|es un horror",
          "tal cual"),
        S("A", "Bueno, mañana es otro día.", "Necesito vacaciones ya.", "Mañana te cuento mejor, ahora me voy a bañar.",
          "Gracias por escucharme.", p=0.7),
        S("M", "fuerza amiga", "dale|descansá", "siempre amiga", "❤️", p=0.7),
    ], w=1.2, hours=[(12, 24)]),
    T("trabajo_martu", [
        BR([
            S("M", "hoy en el laburo un desastre|se cortó la luz y todo", "mi jefa hoy re mala onda|no sé q le pasa",
              "boluda|me pidieron q me quede hasta las 10", "hoy en el laburo|cualquier cosa"),
            S("A", "Uh, qué mal. ¿Y qué hiciste?", "Qué garrón. ¿Y vos qué hiciste?"),
            S("M", "nada|lo de siempre", "nada|aguantar", "nada|me puse los auriculares y listo"),
            S("A", "Tenés que poner límites.", "Te merecés algo mejor.", "Bueno, mañana va a estar mejor."),
            S("M", "siii", "tal cual", "ojalá", "posta", p=0.8),
        ], [
            S("M", "tengo una entrevista {day}|para otro laburo", "me llamaron de una agencia|para una entrevista"),
            S("A", "¡Qué bueno! ¿Para qué puesto es?", "¡Bien ahí! ¿De qué es?"),
            S("M", "diseño|en una agencia en palermo", "diseñadora junior|en una agencia re conocida",
              "community manager|pero algo es algo"),
            S("A", "¡Ojalá salga! Te lo merecés.", "Vas a estar genial. Después contame."),
            S("M", "ojalá", "q nervios|gracias amiga", "te cuento"),
        ], [
            S("M", "me van a aumentar el sueldo|creo", "me aumentaron|al fin"),
            S("A", "¡Por fin! ¿Cuánto?", "¡Qué bueno! Ya era hora. ¿Cuánto?"),
            S("M", "poco|pero algo es algo", "no sé todavía|jajaja", "re poco igual"),
            S("A", "Bueno, hay que festejar igual.", "Con esta inflación ya no alcanza, pero bueno.", p=0.6),
            S("M", "tal cual", "jajaja posta", p=0.6),
        ], [
            S("M", "hoy terminé {task}|y nadie dijo nada", "entregué {task}|al fin"),
            S("A", "¡Bien! Seguro quedó genial.", "Bueno, lo importante es que ya está."),
            S("M", "ojalá|jajaja", "eso|ahora a dormir", "siii|q alivio"),
        ]),
    ], w=1.0, hours=[(12, 24)]),
    T("serie", [
        BR([
            S("A", "¿Viste el último capítulo de {series}?", "¿Ya viste la temporada nueva de {series}?"),
            BR([
                S("M", "nooo no me spoilees|la veo esta noche", "todavía no|no me digas nada"),
                S("A", "Prometo no decir nada, pero mirala ya.", "No digo nada. Solo que el final es increíble."),
                S("M", "dale dale|esta noche", "ok ok|hoy la veo", "ahora me intrigaste"),
            ], [
                S("M", "siii|no puedo más con el final", "siii|la vi toda en dos días jajaja", "obvio|lloré"),
                S("A", "¡Yo tampoco! Quiero hablar con alguien.", "Es de lo mejor que vi este año.",
                  "No puedo creer lo que pasó."),
                S("M", "mal|yo lloré", "posta|la amé", "amiga es buenísima", "necesito la próxima ya"),
            ]),
        ], [
            S("A", "Anoche terminé {series}. Estoy destruida.", "Terminé {series}. ¿Qué veo ahora?"),
            S("M", "mirá {series2}|posta", "q hermosa|ahora mirá {series2}", "te recomiendo {series2}|es re buena"),
            S("A", "¿De qué se trata?", "¿Dónde la dan?", "Nunca la vi. ¿Vale la pena?"),
            S("M", "está en netflix|mirala", "ni idea cómo explicarlo|mirala y ya", "re vale la pena|posta",
              "mirá el primero y me decís"),
            S("A", "Bueno, esta noche la empiezo.", "Dale, la anoto.", "Confío en tu criterio.", p=0.7),
        ], [
            S("M", "estoy con {series}|me tiene re enganchada", "amiga|tenés q ver {series}",
              "estoy viendo {series} de nuevo jajaja"),
            BR([
                S("A", "¡Ya la vi! Me encantó.", "¡Amo esa serie!"),
                S("M", "siii|la mejor", "no me digas q pasa jajaja", "posta|es lo más"),
            ], [
                S("A", "Nunca la vi. ¿Está buena?", "La tengo pendiente. ¿Vale la pena?"),
                S("M", "buenísima|posta", "re|mirala", "mal|es lo mejor q vi"),
                S("A", "Dale, la empiezo este finde.", "Bueno, me convenciste.", p=0.7),
            ]),
        ]),
    ], w=1.5),
    T("peli", [
        BR([
            S("M", "amiga|quiero ver {movie}", "vamos a ver {movie}?", "tenés ganas de ver {movie}?"),
            S("A", "¡Dale! ¿El sábado?", "Yo también quiero verla. ¿Vamos el finde?"),
            S("M", "siii|sacás vos las entradas?", "dale|el sábado", "altoo|vamos"),
            S("A", "Dale, saco entradas para la función de las ocho.", "Perfecto, después vemos el horario.", p=0.7),
        ], [
            S("M", "anoche vi {movie}|q peliculón", "vi {movie}|me encantó"),
            S("A", "A mí también me encantó. La vi con Fede y él se durmió.", "¡Yo también la vi! Me encantó.",
              "Todavía no la vi. ¿Está tan buena?"),
            S("M", "la mejor del año", "posta|quiero verla de nuevo", "siii|q final", "re|mirala"),
        ]),
    ], w=0.8),
    T("comida", [
        BR([
            S("M", "tengo un hambre|pedimos {food}?", "amiga|hoy {food} o muero", "pedimos {food}?|tengo un hambre"),
            BR([
                S("A", "¡Dale! ¿Venís a casa?", "Dale, venite a casa y pedimos."),
                S("M", "siii voy|llevo algo?", "dale|en 20 estoy", "voy|llevo una coca"),
                S("A", "Traé algo para tomar.", "Dale, te espero.", p=0.6),
            ], [
                S("A", "Yo cené temprano, pero pedí vos. ¡Buen provecho!", "Hoy no puedo, estoy a dieta desde el lunes."),
                S("M", "jajaja a dieta|desde q lunes", "mal|bueno pido igual", "q aburrida|jajaja"),
                S("A", "Jajaja. El lunes que viene, seguro.", "Mandame foto cuando llegue.", p=0.6),
            ]),
        ], [
            S("M", "estoy comiendo {food}|la mejor decisión de mi vida", "hice {food}|me salió re bien",
              "<MEDIA:img>|mirá lo q cociné"),
            S("A", "¡Qué rico! Me muero de envidia.", "¡Qué pinta! Guardame un poco.", "Qué hambre me dio."),
            S("M", "jajaja no queda nada", "vení|hay para las dos", "<MEDIA:img>|jajaja", "querés venir?|hice de más"),
            S("A", "Jajaja, sos terrible.", "La próxima cocinás para mí.", p=0.5),
        ]),
    ], w=1.2, hours=[(11, 15), (19, 24), (0, 1)]),
    T("mate", [
        BR([
            S("A", "Hice bizcochuelo. ¿Te venís a tomar mates?"),
            S("M", "bizcochuelo???|voy ya", "voy ya|guardame un pedazo"),
        ], [
            S("A", "Vení a casa a tomar mates.", "¿Mates esta tarde?", "Tengo yerba nueva. ¿Venís a probarla?"),
            S("M", "siii voy", "altoo|en un rato voy", "dale|llevo bizcochitos"),
        ]),
        S("A", "Dale, te espero.", "Buenísimo, pongo el agua.", "Traé facturas si pasás por la panadería."),
        S("M", "dale", "joyaa", "🙌", "ok ok", p=0.6),
    ], w=0.9, hours=[(10, 18)]),
    T("viaje", [
        S("A", "¿Y si nos vamos a {trip} en {season}?", "Estoy mirando pasajes a {trip} para {season}. ¿Te sumás?",
          "Fede y yo vamos a {trip} en {season}. ¿Querés venir?"),
        S("M", "siii vamos", "a {trip}?|re quiero", "ni idea si tengo plata jajaja|pero vamos",
          "amiga sí|necesito vacaciones", "uff me encantaría|cuánto sale?"),
        BR([
            S("A", "Te paso las opciones:\n1) Micro: {amount}\n2) Avión: el doble\n3) Auto de Fede: gratis, pero con Fede"),
            S("M", "jajaja la 3", "la 3 obvio|pobre fede", "micro|soy pobre jajaja"),
        ], [
            S("A", "Vi pasajes a {amount} ida y vuelta. Es barato para lo que es.",
              "Podríamos alquilar algo entre varios, sale mucho más barato."),
            S("M", "re barato|dale", "dejame ver mis ahorros|jajaja no tengo", "si si|pasame el link"),
        ]),
        S("A", "Te mando el link: {url_casa}", "{url_casa}|Mirá esta casa.", "Mañana lo vemos bien."),
        S("M", "altoo", "q lindo", "ya quiero estar ahí", "dale lo veo a la noche", p=0.7),
    ], w=0.9),
    T("chisme", [
        S("M", "boluda|no sabés lo q me contaron", "amiga|tengo un chisme", "bldo|no sabés lo q me contaron", "tengo q contarte algo|urgente",
          "no sabés a quién vi hoy"),
        S("A", "¿Qué pasó?", "Contame YA.", "¿Qué? ¿Qué?", "Me muero. Contame todo."),
        S("M", "{person} volvió con {person2}", "vi a {person} con {person2}|en {place}",
          "{person} renunció|y se va a vivir a españa", "{person} se casa|posta",
          "{person} está saliendo con {person2}"),
        BR([
            S("A", "¿En serio? ¿Cómo te enteraste?", "No. ¿Quién te dijo?", "¿Y vos cómo sabés?"),
            S("M", "me lo dijo {person3}|q es re amiga", "instagram amiga|lo subió", "me contó {person3}|pero no digas nada",
              "todo el mundo lo sabe|menos vos jajaja"),
        ], [
            S("A", "Era obvio, yo te dije hace meses.", "Lo sabía. Se veía venir."),
            S("M", "jajaja tenías razón|como siempre", "vos sos bruja", "posta|tenías razón"),
        ]),
        S("A", "Mañana me contás todo con detalles.", "Qué novela. Necesito más.", "Qué fuerte.", p=0.8),
        S("M", "jajaja siii", "mañana te cuento todo", "fuerte", p=0.6),
    ], w=1.3),
    T("santi", [
        BR([
            S("A", "¿Y? ¿Te escribió Santi?", "¿Qué onda con Santi? ¿Te habló?"),
            BR([
                S("M", "siii|anoche|pero re seco", "nada|me clavó el visto", "me escribió y le contesté al toque|error"),
                S("A", "Hacete valer. Si le interesás, va a escribir.", "Ese chico no sabe lo que quiere.",
                  "No te hagas problema, él se lo pierde."),
                S("M", "ya sé|soy una boluda", "jajaja tenés razón", "posta|no le escribo más", "no sé amiga",
                  "no sé xq le contesté|soy lo peor"),
            ], [
                S("M", "siii|me invitó a salir el sábado", "sii|hablamos toda la noche"),
                S("A", "¡Ay, qué lindo! Me encanta.", "¡Te dije! Le gustás."),
                S("M", "jajaja no sé", "ya veremos", "q nervios"),
            ]),
        ], [
            S("A", "¿Cómo te fue con Santi el sábado?", "¿Y la cita con Santi? Contame todo."),
            S("M", "bien|re bien", "fuimos a comer|y después caminamos", "re lindo|me acompañó hasta casa",
              "amiga|creo q me gusta"),
            S("A", "¿Y? ¿Se besaron?", "¿Y? ¿Hubo beso?"),
            S("M", "jajaja no te digo", "todavía no|pero casi", "siii|jajaja", "q chusma|sí"),
            S("A", "Quiero todos los detalles mañana.", "Jajaja, me alegro mucho.", p=0.7),
        ]),
    ], w=0.9),
    T("fede", [
        BR([
            S("A", "¿Puedo llamarte? Necesito hablar.", "¿Estás? Necesito hablar."),
            S("M", "!obvio|dame 5 minutos", "!sii|te llamo ya", "!obvio|q pasó?"),
            S("A", "Gracias.", "Te llamo.", p=0.5),
        ], [
            S("A", "Me peleé con Fede.", "Fede está insoportable.", "Discutí con Fede otra vez."),
            S("M", "!nooo|q pasó amiga", "!ay no|estás bien?", "!contame"),
            S("A", "Nada importante. Discutimos por tonterías, otra vez lo de las vacaciones.",
              "Siento que no me escucha.", "Lo de siempre: él quiere una cosa y yo otra."),
            S("M", "!te entiendo|si querés paso", "!bldo es un tarado|pero te quiere", "!tenés q hablarlo con él|posta",
              "!siempre es lo mismo con él|hablalo tranqui", "!ay amiga|te quiero"),
            S("A", "Gracias, de verdad.", "Sos la mejor.", "Mañana te cuento mejor."),
            S("M", "!❤️", "!te quiero", "!acá estoy", p=0.6),
        ]),
    ], w=0.6),
    T("roco", [
        BR([
            S("A", "<MEDIA:img>|Mirá a Roco.", "<MEDIA:video>|Roco aprendió a dar la pata."),
            S("M", "q lindo|lo amo", "jajaja q genio", "altoo roco", "lo amooo"),
            S("A", "Es un desastre, pero lo amo.", "Es el mejor.", "Le falta aprender a no comer todo."),
            BR([
                S("M", "<MEDIA:img>|luna hoy", "luna le manda saludos"),
                S("A", "¡Qué linda Luna!", "Tenemos que juntarlos."),
            ], p=0.5),
        ], [
            S("A", "Roco se comió una media.", "Roco rompió el almohadón nuevo.", "Roco se escapó al patio del vecino."),
            S("M", "jajaja nooo|pobre roco", "jajaja q desastre", "nooo|jajaja"),
            S("A", "Es un desastre, pero lo amo.", "No sé qué voy a hacer con él.", "Me quiere volver loca."),
            S("M", "jajaja", "es un bebé", "lo amo igual", p=0.7),
        ], [
            S("A", "Hoy llevé a Roco al veterinario.", "Hoy tuve que llevar a Roco al veterinario."),
            S("M", "ay pobre|está bien?", "pobre roco|q le pasó?"),
            S("A", "Sí, está perfecto. Solo fue la vacuna anual.", "Sí, solo era un control."),
            S("M", "q bueno", "ay menos mal", "besos a roco"),
        ]),
    ], w=0.9),
    T("luna", [
        BR([
            S("M", "<MEDIA:img>|mirá a luna", "<MEDIA:video>|jajajaja", "luna durmió en mi cara toda la noche",
              "luna tiró una maceta|otra vez"),
            S("A", "¡Qué linda es!", "Jajaja, los gatos son así.", "Es la gata más linda del mundo."),
            S("M", "lo sé", "jajaja posta", "la amo", "es una reina"),
        ], [
            S("M", "!luna está rara|no come", "!luna no quiere comer|estoy preocupada"),
            S("A", "Pobre. Si sigue sin comer, llevala al veterinario.", "¿Desde cuándo? Llevala al veterinario."),
            S("M", "!sii|mañana la llevo", "!si|ya saqué turno"),
            S("A", "Avisame cómo sigue.", p=0.6),
        ]),
    ], w=0.8),
    T("cumple", [
        BR([
            S("A", "El sábado es el cumple de {bday}. ¿Qué le regalamos?", "Tenemos que comprarle algo a {bday} para el cumple."),
            S("M", "ni idea|{gift}?", "{gift}?|algo así", "mmm|{gift}?"),
            S("A", "Me parece bien. ¿Vamos a medias?", "Buena idea. Ponemos {amount} cada una.",
              "Dale, yo lo compro y me pasás la mitad."),
            S("M", "dale|pasame tu alias", "perfecto|pasame el alias"),
            S("A", "{alias_a}", "Mi alias es {alias_a}.", "Te paso el alias: {alias_a}"),
            S("M", "listo|transferido", "ya está", "listo"),
        ], [
            S("A", "¿Vas al cumple de {bday}?", "¿Vas al cumple de {bday} el sábado?"),
            S("M", "siii voy|vos?", "no sé|a q hora es?"),
            S("A", "Sí, voy con Fede. Es a las nueve en su casa.", "Yo voy. Empieza a las nueve."),
            S("M", "dale vamos juntas", "ok|nos vemos ahí", "dale|paso x tu casa?", "yo tmb voy|querés q vayamos juntas?"),
        ]),
    ], w=0.9),
    T("calor", [
        S("M", "q calor x dios", "me derrito|no puedo más", "35 grados|q alguien haga algo", "bldo q calor",
          "xq hace tanto calor|no entiendo"),
        S("A", "Insoportable. Dicen que mañana llueve.", "Terrible. Estoy con el ventilador en la cara."),
        S("M", "ojalá|no doy más", "mal", "jajaja igual yo", "envidia"),
    ], w=0.9, hours=DAY, months=SUMMER),
    T("frio", [
        S("M", "hace un frío|no puedo", "estoy con tres buzos|posta", "q frío x dios"),
        S("A", "Sí, hoy hizo dos grados a la mañana.", "Abrigate bien. Dicen que mañana hace más frío."),
        S("M", "mal", "no salgo más de la cama", "siii ma jajaja"),
    ], w=0.9, hours=DAY, months=WINTER),
    T("lluvia", [
        S("M", "se viene una tormenta|mirá el cielo", "llueve y no tengo paraguas|clásico"),
        S("A", "Dijeron que hay alerta amarilla.", "Quedate adentro hasta que pare."),
        S("M", "noo|tengo q salir", "mal", "ya estoy empapada jajaja"),
    ], w=0.5, hours=DAY),
    T("lindo_dia", [
        S("M", "q lindo día|quiero estar afuera", "hoy hay q ir a una plaza|sí o sí"),
        S("A", "Ideal para una plaza. ¿Vamos a Centenario a las cinco?", "¡Sí! ¿Mates en el Botánico a la tarde?"),
        S("M", "dale|vamos", "siii llevo el mate", "altoo"),
    ], w=0.4, hours=[(9, 16)], months=(3, 4, 9, 10, 11)),
    T("colectivo", [
        BR([
            S("M", "{bus} no viene nunca|voy a llegar re tarde", "paro de colectivos|q hago", "{bus} no viene|xq a mí",
              "se quedó {bus}|estoy en el medio de la nada"),
            S("A", "Tranqui, te espero.", "¿Querés que te pase a buscar?", "Pedite un taxi, yo te ayudo a pagar."),
            S("M", "graciasss", "no no|ya llego", "jajaja perdón", "dale"),
        ], [
            S("M", "llego en 10|perdón", "estoy en {bus}|llego en 10"),
            S("A", "Tranqui, recién llego yo también.", "No pasa nada. Te espero en la puerta."),
            S("M", "dale", "ya bajé|2 cuadras", "🙌", p=0.7),
        ]),
    ], w=1.0, hours=[(7, 23)]),
    T("meme", [
        S("M", "{url}|jajajaja", "{url}", "mirá esto|{url}", "{url}|somos nosotras", "<MEDIA:gif>",
          "<MEDIA:sticker>", "<MEDIA:img>|jajajaja"),
        S("A", "Jajaja, no puedo más.", "Somos nosotras, literal.", "Me hiciste reír en plena reunión.",
          "No entendí nada, pero me reí.", "Jajaja. ¿De dónde sacás estas cosas?"),
        S("M", "jajaja", "tiktok amiga", "posta", "😂", "jajaja xq es tan real", p=0.6),
    ], w=1.3),
    T("musica", [
        S("M", "{url_spot}|escuchá esto", "escuchá esta canción|{url_spot}", "{url_spot}|la estoy escuchando en loop"),
        S("A", "¡Me encanta! La puse en la oficina.", "No la conocía. Está buenísima.", "Esa canción me recuerda al viaje."),
        S("M", "no?|es lo más", "posta", "siii|jajaja", p=0.7),
    ], w=0.5),
    T("compras", [
        BR([
            S("M", "<MEDIA:img>|me compré {clothes}", "me compré {clothes}|mañana te muestro"),
            S("A", "¡Me encantan! ¿Dónde las compraste?", "¡Qué lindas! ¿Dónde las conseguiste?"),
            S("M", "en mercado libre|{url_ml}", "en {place}", "en una feria en {place}"),
            S("A", "Están bien de precio.", "Quiero ir.", "Después pasame el dato.", p=0.7),
        ], [
            S("M", "amiga|vi {clothes} {color}|y las necesito", "<MEDIA:img>|las compro?",
              "quiero comprarme {clothes} {color}|me las compro?"),
            BR([
                S("A", "Compralas, te van a quedar bien.", "Si las querés, compralas. Una vez en la vida."),
                S("M", "ya las compré jajaja", "dale|me convenciste", "jajaja ok"),
            ], [
                S("A", "No. Acordate de lo que dijimos de ahorrar.", "¿Cuánto salen?"),
                S("M", "{amount}|no me digas nada", "jajaja ya sé", "mucho|bueno no"),
                S("A", "Jajaja, sos terrible.", "Pensalo hasta mañana.", p=0.6),
            ]),
        ]),
    ], w=0.7),
    T("gym", [
        BR([
            S("A", "¿Vamos al gimnasio mañana?", "Me anoté en un gimnasio. ¿Venís conmigo mañana?"),
            BR([
                S("M", "dale|a q hora?", "mañana sí o sí|a q hora?"),
                S("A", "A las siete y media, antes del trabajo."),
                S("M", "7 y media???|ni en pedo", "uff temprano|bueno dale", "jajaja bueno|veremos", "xq tan temprano|no"),
            ], [
                S("M", "uff|no sé si llego", "dejé el gym hace un mes|jajaja"),
                S("A", "Dale, que después te sentís mejor.", "Jajaja. Bueno, cuando quieras."),
                S("M", "mmm|veremos", "ya sé|la semana q viene"),
            ]),
        ], [
            S("A", "Hoy arranqué yoga. Me duele todo.", "Fui a funcional por primera vez. No me puedo mover."),
            S("M", "jajaja q valiente", "mal|yo ni lo intento", "jajaja|mañana peor"),
            S("A", "Te juro que no puedo ni subir la escalera.", "Igual me gustó. Venite la próxima."),
            S("M", "jajaja", "ni loca", "dale|algún día", p=0.6),
        ]),
    ], w=0.6),
    T("casa", [
        BR([
            S("M", "se rompió el calefón|no hay agua caliente", "se me inundó el baño|no puedo más"),
            S("A", "Uh, qué garrón. ¿Llamaste a un plomero?", "¿Llamaste a alguien para que lo arregle?"),
            S("M", "todavía no|no conozco a nadie", "no|no tengo a quién"),
            S("A", "Te paso el número del plomero que vino a casa: {phone}", "Anotá este número, es un plomero de confianza: {phone}"),
            S("M", "graciasss|ahora lo llamo", "te amo|lo llamo"),
        ], [
            S("M", "me aumentaron el alquiler|otra vez", "me llegó el aumento del alquiler|me quiero morir"),
            S("A", "Qué horror. ¿Cuánto te aumentaron?"),
            S("M", "un montón|{amount} más", "mucho|no quiero hablar"),
            S("A", "Los alquileres están imposibles.", "Si querés, buscamos algo juntas."),
            S("M", "posta", "mal", "y si nos vamos a vivir juntas?|jajaja"),
        ], [
            S("M", "el vecino de arriba|otra vez con la música", "no hay agua en todo el edificio"),
            S("A", "Qué garrón. Hablá con el encargado.", "Hablá con el encargado."),
            S("M", "ya le dije|nada", "mañana le digo"),
        ]),
    ], w=0.6),
    T("contacto", [
        BR([
            S("A", "¿Me pasás el número de {person}?"),
            S("M", "{phone}", "ahí va|{phone}", "sii|{phone}"),
            S("A", "Gracias.", "Gracias, genia."),
        ], [
            S("A", "¿Tenés el mail de la profe de {materia}?"),
            S("M", "{email_profe}", "sii|{email_profe}"),
            S("A", "Gracias. Le escribo hoy."),
        ], [
            S("A", "Pasame tu mail para mandarte el archivo."),
            S("M", "{email_m}", "dale|{email_m}"),
            S("A", "Listo, ahí te lo mandé."),
            S("M", "me llegó|gracias", p=0.5),
        ], [
            S("A", "¿Me pasás tu alias? Te debo lo de la otra vez."),
            S("M", "{alias_m}", "no es nada|pero bueno|{alias_m}"),
            S("A", "Listo, transferido.", "Ya te pasé."),
            S("M", "graciasss", p=0.5),
        ], [
            S("M", "me pasás tu mail?|te quiero mandar unas fotos", "pasame tu mail|así te mando las fotos"),
            S("A", "Sí: {email_a}", "{email_a}"),
            S("M", "dale ahí te mando", "listo"),
        ], [
            S("M", "me pasás la dirección?", "cuál era la dirección?"),
            S("A", "Av. Rivadavia 4321, 3° B. Timbre roto, escribime cuando llegues.", "{url_maps}"),
            S("M", "dale", "ok ok"),
        ]),
    ], w=0.7),
    T("llamada", [
        S("A", "<CALL>"),
        S("A", "¿Estás? Te llamé.", "Llamame cuando puedas.", "¿Podés hablar?"),
        S("M", "perdón estaba en {bus}|q pasó?", "no escuché|ahí te llamo", "estoy en clase|q pasó",
          "amiga estoy en el laburo|todo bien?"),
        S("A", "Nada grave, después te cuento.", "Tranqui, era para contarte algo.", "Nada, ya lo resolví."),
    ], w=0.5, hours=DAY, opener=True),
    T("recital", [
        S("A", "¿Sacamos entradas para {band}?", "¡Anunciaron show de {band}! ¿Vamos?", "¿Vamos a ver a {band}?"),
        S("M", "siii|vamos", "amigaaa|obvio vamos", "altoo|sí"),
        S("A", "Sale {amount} el campo. ¿Sacamos mañana cuando abre la venta?", "Yo estoy en la fila virtual. ¿Saco dos?"),
        S("M", "dale|sacá dos", "siii|te paso la plata", "caro pero vamos"),
        S("A", "¡Conseguí dos!", "Listo, ya están."),
        S("M", "VAMOS", "te amo|posta", "altoo"),
    ], w=0.6),
    T("buenas_noches", [
        S("A", "Me voy a dormir, mañana madrugo. Beso.", "Bueno, me voy a dormir. ¡Buenas noches!",
          "Me muero de sueño. Hablamos mañana.", "Te dejo, me voy a acostar."),
        S("M", "dale|descansá|beso", "buenas noches amiga", "yo tmb|besoo", "chau|te quiero",
          "dale|mañana hablamos"),
    ], w=1.1, hours=[(22, 2)]),
    T("noche_martu", [
        S("M", "estás?", "no me puedo dormir", "amiga|estás despierta?", "che|estás?",
          "no me puedo dormir|xq tomé mate a las 10 jajaja"),
        S("A", "Sí, ¿qué pasa?", "Acá estoy. ¿Todo bien?", "Casi dormida, pero decime."),
        BR([
            S("M", "nada|estoy aburrida jajaja", "nada|pensando boludeces", "nada|no tengo sueño"),
            S("A", "Jajaja. Andá a dormir.", "Contá ovejas."),
            S("M", "jajaja ok|buenas noches", "dale|chau"),
        ], [
            S("M", "me escribió {person}|q hago", "{person} me habló|a esta hora"),
            S("A", "No le contestes hasta mañana. Dormí."),
            S("M", "tenés razón", "jajaja ok|buenas noches"),
        ], [
            S("M", "!nada|quería hablar con alguien", "!estoy medio triste"),
            S("A", "¿Querés que te llame?", "Acá estoy. ¿Querés hablar?"),
            S("M", "!no tranqui|mañana te cuento", "!sii|llamame"),
        ]),
    ], w=0.8, hours=[(23, 3)], opener=True),
    T("salud", [
        S("M", "!estoy con {illness}|me quiero morir", "!amiga|creo q tengo {illness}",
          "!hoy no voy a ningún lado|estoy con {illness}"),
        S("A", "Ay, no. ¿Fuiste al médico?", "Pobre. ¿Fuiste al médico?"),
        S("M", "!no|mañana voy", "!ya fui|me dieron reposo", "!no|ya se me va a pasar"),
        S("A", "Cuidate mucho. Si necesitás algo, avisame.", "Tomá mucho líquido y descansá."),
        S("M", "!gracias amiga", "!dale", "!te amo", p=0.7),
    ], w=0.5),
    T("audio", [
        S("A", "<MEDIA:audio>", "<MEDIA:audio>|<MEDIA:audio>"),
        BR([
            S("M", "jajajaja", "siii|tal cual", "posta?|q fuerte", "nooo|no puede ser"),
            S("A", "Sí, te juro.", "Jajaja, ¿viste?", p=0.5),
        ], [
            S("M", "no puedo escuchar ahora|estoy en el laburo", "ahí lo escucho", "después lo escucho|estoy en {bus}"),
            S("A", "Dale, escuchalo cuando puedas.", p=0.5),
        ]),
    ], w=0.8),
    T("audio_martu", [
        S("M", "<MEDIA:audio>|perdón x el audio largo", "<MEDIA:audio>", "<MEDIA:audio>|<MEDIA:audio>|escuchá"),
        BR([
            S("A", "Jajaja, qué fuerte.", "Pará, ¿en serio?", "No puedo creer lo que me contás."),
            S("M", "te juro", "posta", "jajaja sí"),
        ], [
            S("A", "Estoy en el subte, después lo escucho.", "Ahora no puedo escuchar, a la noche te contesto."),
            S("M", "dale", "ok ok", p=0.5),
        ]),
    ], w=0.6),
    T("finde", [
        S("A", "¿Qué hiciste el finde?", "¿Cómo estuvo el finde?"),
        BR([
            S("M", "nada|dormí todo el día", "nada|series y pizza", "limpié toda la casa|un domingo normal"),
            S("A", "El mejor plan.", "Me encanta ese finde.", "Yo igual, no salí de casa."),
            S("M", "jajaja siii", "lo necesitaba", p=0.5),
        ], [
            S("M", "fui a lo de mi vieja|comí un montón", "almorcé con mi familia|comí mal"),
            S("A", "¡Qué lindo! ¿Cómo está tu mamá?"),
            S("M", "bien|te manda saludos", "bien|re pesada jajaja"),
        ], [
            S("M", "salí|q error jajaja", "salí con {person}|todavía me duele la cabeza"),
            S("A", "Jajaja. ¿A dónde fueron?"),
            S("M", "a {place}|a un bar nuevo", "ni me acuerdo jajaja"),
            S("A", "Jajaja. Mañana me contás.", p=0.5),
        ]),
    ], w=0.9, wd=(6, 0)),
    T("tramite", [
        S("M", "tengo q {chore}|q paja", "mañana tengo q {chore}|no quiero"),
        S("A", "Hacelo hoy y te lo sacás de encima.", "Jajaja. Es un ratito, no te quejes."),
        S("M", "mañana|jajaja", "ya sé|pero no quiero", "tenés razón"),
    ], w=0.5, hours=DAY),
    T("libro", [
        BR([
            S("A", "Estoy leyendo {book}. ¿Lo leíste?", "Empecé {book}. ¿Lo leíste?"),
            BR([
                S("M", "siii|me encantó", "sii|lo leí en dos días"),
                S("A", "Voy por la mitad y no lo puedo soltar."),
                S("M", "el final amiga|no te digo nada", "esperá a q termines|jajaja"),
            ], [
                S("M", "no|está bueno?", "nop|me lo prestás?"),
                S("A", "Muy bueno. Cuando lo termine te lo presto."),
                S("M", "dale", "dale|gracias amiga"),
            ]),
        ], [
            S("M", "terminé {book}|q libro", "amiga|tenés q leer {book}"),
            S("A", "¿Me lo prestás?", "Lo tengo en la lista hace mil. ¿Me lo prestás?"),
            S("M", "obvio|el sábado te lo llevo", "sii|te lo llevo"),
        ]),
    ], w=0.4),
    T("fotos", [
        S("M", "<MEDIA:img>|<MEDIA:img>|q linda noche", "<MEDIA:img>|<MEDIA:img>|<MEDIA:img>",
          "<MEDIA:img>|salimos re lindas"),
        S("A", "¡Qué lindas fotos! La pasé increíble.", "Mandame todas, por favor.", "Salgo con los ojos cerrados, jajaja."),
        S("M", "yo tmb|repetimos pronto", "jajaja ahí van", "estás divina"),
    ], w=0.6),
    T("pelo", [
        BR([
            S("M", "me corté el pelo|<MEDIA:img>", "<MEDIA:img>|flequillo|q opinás", "me teñí|<MEDIA:img>|no sé si me gusta"),
            S("A", "¡Te queda divino!", "¡Me encanta! Te queda muy bien.", "Estás hermosa, no lo dudes."),
            S("M", "posta?|gracias amiga", "ay te amo", "jajaja ok|te creo"),
        ], [
            S("A", "Mañana me corto el pelo. ¿Flequillo sí o no?", "Estoy pensando en teñirme de rojo. ¿Me animo?"),
            S("M", "siii|animate", "nooo|te vas a arrepentir jajaja", "ni idea|mandame fotos de referencia"),
            S("A", "Jajaja. Ya saqué turno, no hay vuelta atrás.", "Bueno, mañana te mando foto."),
            S("M", "jajaja dale", "quiero ver", "altoo"),
        ]),
    ], w=0.5),
    T("precios", [
        S("A", "¿Viste cuánto está el kilo de yerba?", "Fui al supermercado y gasté una fortuna.",
          "Me aumentó la prepaga otra vez."),
        BR([
            S("M", "nooo|cuánto?", "cuánto?"),
            S("A", "{amount}. Una locura.", "Casi el doble que el mes pasado."),
        ], [
            S("M", "ni me digas|yo tmb", "mal|no se puede vivir"),
            S("A", "No sé cómo vamos a hacer.", "Todo aumenta menos el sueldo."),
        ]),
        S("M", "posta|q locura", "voy a vivir de mate y galletitas|jajaja", "mal mal", "no da más"),
    ], w=0.5),
    T("ingles", [
        BR([
            S("M", "me anoté en inglés|arranco {day}", "empecé clases de inglés|re difícil jajaja"),
            S("A", "¡Qué bueno! ¿Dónde?", "¡Bien ahí! ¿Es online o presencial?"),
            S("M", "online|los martes y jueves", "en un instituto en {place}", "online|así no salgo de casa jajaja"),
            S("A", "Me encanta. Así después practicamos.", "Yo también debería retomar."),
            S("M", "dale|vamos juntas", "obvio|anotate", "jajaja yes", p=0.7),
        ], [
            S("A", "¿Cómo vas con inglés?", "¿Seguís con las clases de inglés?"),
            S("M", "bien|más o menos", "dejé|no tenía tiempo", "re bien|ya entiendo las series sin subtítulos"),
            S("A", "Bueno, de a poco.", "¡Qué bueno!", "Es difícil con todo lo que hacés."),
        ]),
    ], w=0.4),
    T("mudanza", [
        S("A", "Estoy pensando en mudarme.", "Vi un departamento en {place} que me encanta.",
          "Fede me propuso que nos vayamos a vivir juntos."),
        S("M", "nooo|en serio?", "altoo|contame", "q fuerte|y vos q querés?"),
        S("A", "No sé. Me da miedo, pero también tengo ganas.", "Sí. Es chiquito, pero tiene balcón.",
          "Todavía lo estoy pensando. No le dije nada a nadie."),
        S("M", "te re entiendo", "si lo querés hacelo", "yo te ayudo con la mudanza|obvio",
          "q emoción|te re banco"),
        S("A", "Gracias. Por eso te lo cuento primero a vos.", "Te aviso cuando decida.", p=0.7),
        S("M", "❤️", "te quiero", "siempre", p=0.5),
    ], w=0.4),
    T("tatuaje", [
        BR([
            S("M", "me quiero tatuar|algo chiquito", "amiga|me hago un tatuaje el {weekday}"),
            S("A", "¡¿Qué?! ¿Qué te vas a hacer?", "¿En serio? ¿Qué te vas a hacer?"),
            S("M", "una luna|x mi gata jajaja", "unas flores|en el brazo", "una frase|en el tobillo"),
            S("A", "Me encanta. Es muy vos.", "Te va a quedar hermoso."),
        ], [
            S("M", "me hice un tatuaje|<MEDIA:img>", "<MEDIA:img>|me tatué"),
            S("A", "¡Qué lindo! ¿Te dolió?", "¡Me encanta! ¿Dolió mucho?"),
            S("M", "nada|mentira|un poco", "un montón jajaja", "menos de lo q pensaba"),
        ]),
        S("M", "jajaja", "lo sé", "siii", p=0.5),
    ], w=0.4),
    T("dia_madre", [
        S("M", "q le regalo a mi vieja?", "amiga|se viene el día de la madre|y no tengo nada"),
        S("A", "¿Un perfume? Nunca falla.", "A mi mamá le regalé una planta y le encantó.", "¿Y si le regalás una clase de cerámica?"),
        S("M", "puede ser", "siii|buena idea", "mmm|ya tiene mil", "altoo la cerámica"),
        S("A", "Cualquier cosa, vamos juntas al shopping el sábado.", "Después contame qué elegiste.", p=0.6),
        S("M", "dale", "te cuento", p=0.5),
    ], w=0.5, months=(9, 10)),
    T("aniversario", [
        S("A", "Mañana cumplimos tres años con Fede. ¿A dónde lo llevo?", "Se viene el aniversario con Fede y no tengo idea de qué regalarle."),
        S("M", "a comer sushi", "regalale un viaje|jajaja", "una cena rica|y listo", "ni idea|a él q le gusta?"),
        S("A", "Buena idea. Hay un lugar nuevo en {place}.", "Le gusta el fútbol y la cerveza. Nada más.", "Ya sé, soy un desastre."),
        S("M", "jajaja fácil|entradas para la cancha", "dale|ese", "jajaja", "con eso es feliz"),
    ], w=0.4),
    T("lista", [
        S("M", "lista súper:\nyerba\ngalletitas de agua\nqueso\nvino: el de siempre|perdón no era para vos jajaja",
          "cosas para el finde:\n- malla\n- protector\n- parlante\n- plata para la nafta|uy te lo mandé a vos jajaja"),
        S("A", "Jajaja. Comprame galletitas a mí también.", "Jajaja, tranqui. Te faltó el dulce de leche.",
          "Jajaja. ¿A quién se lo querías mandar?"),
        S("M", "jajaja dale", "a mí misma jajaja", "posta|anotado"),
    ], w=0.3),
    T("fechas", [
        S("A", "¿Me pasás las fechas de los parciales? Perdí el cronograma.", "¿Cuándo eran los parciales? No me acuerdo nada."),
        S("M", "fechas:\n12/5 {materia}\n19/5: {materia2}\n2/6 recu (10.30 hs)\nentrega del tp: 9/6",
          "ahí va:\nparcial {materia}: jueves 18/5, 19 hs\nparcial {materia2}: 25/5\nfinal: julio"),
        S("A", "Gracias, me salvaste.", "Genia. Lo anoto ya."),
        S("M", "🙌", "de nada", p=0.5),
    ], w=0.3, months=(4,)),
    T("feriado", [
        S("A", "¿Qué hacés el feriado?", "¿Tenés planes para el finde largo?"),
        S("M", "nada|dormir|vos?", "ni idea|vos?", "estudiar|q triste|vos?"),
        BR([
            S("A", "Yo me quedo. Si querés, hacemos algo.", "Nada tampoco. ¿Hacemos algo?"),
            S("M", "dale|avisame", "siii|vemos", "altoo"),
        ], [
            S("A", "Yo me voy a {trip} con Fede.", "Nos vamos a {trip} con Fede y su familia."),
            S("M", "q envidia|mandá fotos", "altoo|traeme algo", "q lindo|disfrutá"),
        ]),
    ], w=0.6),
]

GROUP_TOPICS = [
    T("futbol", [
        BR([
            S("A", "¿Vieron el partido de {team}? Qué desastre.", "{Team} no gana más. Ya está."),
            S("B", "Un horror. El técnico se tiene que ir.", "No me hablen. Lo vi en el bar y me quería morir.",
              "Yo ya no sufro más, no lo miro."),
            S("M", "yo no vi nada|pero x lo q dicen mal", "jajaja q dramáticos", "no sé ni quién jugaba|pero q mal"),
            S("A", "Jajaja, Martu, no sabés quién jugaba y opinás.", "El domingo hay revancha."),
            BR([
                S("C", "El domingo lo vemos juntos en lo de {host}. Yo llevo la picada."),
                S("M", "me sumo", "yo llevo cerveza", "altoo plan"),
            ], p=0.5),
        ], [
            S("A", "¿Alguien sabe a qué hora juega {team}?", "¿A qué hora es el partido de {team}?"),
            S("B", "A las nueve y media, por TNT.", "A las siete. ¿Lo vemos juntos?", "A las 21.30, creo."),
            S("M", "lo vemos en lo de {host}?", "yo me sumo|llevo cerveza", "q lindo plan|yo voy"),
            S("C", "Dale, en lo de {host}.", "Yo llevo la picada.", "Me sumo."),
            S("M", "altoo", "🙌", p=0.5),
        ]),
    ], w=1.4),
    T("asado", [
        S("A", "¿Hacemos asado el sábado en lo de {host}?", "Gente, ¿asado este finde en lo de {host}?",
          "Tengo ganas de un asado. ¿Lo hacemos en lo de {host} el domingo?"),
        S("B", "Yo me sumo. Llevo el vino.", "Dale. ¿A qué hora?", "Yo llevo el carbón."),
        S("M", "yo llevo postre|o hielo?", "siii|yo voy", "me sumo|q llevo?", "altoo|ahí estoy"),
        S("C", "Martu, traé hielo y algo dulce.", "Me sumo. ¿Compramos la carne entre todos?", "Yo llevo la guitarra."),
        S("A", "Hagamos así:\n12.30 hs en lo de {host}\nCarne: yo\nBebida: {b}\nPostre y hielo: Martu\nMe transfieren {amount} al alias {alias_a}",
          "Pásenme {amount} hasta el viernes, así compro la carne. Mi alias es {alias_a}.",
          "Son {amount} cada uno. Alias: {alias_a}"),
        S("M", "dale|transferido", "perfecto", "jajaja ok jefe", "dale te paso ahora", "listo|🙌"),
        S("B", "Transferido.", "Listo.", "Te paso mañana.", p=0.6),
    ], w=1.2),
    T("fulbito", [
        S("A", "Falta uno para el fulbito del jueves. ¿Alguien?", "Reservé la cancha para el viernes a las nueve. ¿Quién juega?"),
        S("B", "Yo voy.", "Yo no puedo, me lesioné la rodilla.", "Yo juego."),
        S("M", "yo juego jajaja|no", "ni en pedo jajaja", "voy a hinchar|jajaja"),
        S("A", "Jajaja, Martu, te pongo de arquera.", "Jajaja. Bueno, consigo a alguien del trabajo."),
        S("M", "jajaja ni loca", "arquera no|delantera", "jajaja", p=0.6),
    ], w=0.8),
    T("salida", [
        S("A", "¿Salimos el viernes?", "¿Salimos el sábado a la noche?", "¿Salimos este finde? Hace mil que no salimos."),
        S("M", "siii", "yo re|salgamos", "uff estoy muerta|pero vamos"),
        S("B", "Yo me sumo.", "Dale, ¿a dónde?", "Me encanta la idea."),
        BR([
            S("C", "Hay una fiesta en {place}. Les paso la info:\nDía: sábado\nHora: 00.30 (antes no hay nadie)\nEntrada: {amount}"),
            S("M", "00.30?? jajaja|bueno", "altoo|vamos", "vamos"),
        ], [
            S("C", "Podemos hacer previa en lo de {host}."),
            S("M", "previa en lo de {host}|dale", "dale", "altoo"),
        ], [
            S("C", "Yo llevo el fernet."),
            S("M", "fernet no x favor jajaja", "jajaja clásico"),
        ]),
        S("A", "Confirmen quiénes van.", "Bueno, el sábado a las once en lo de {host}.", p=0.7),
        S("M", "yo voy", "voy", "🙌", p=0.6),
    ], w=1.1),
    T("vacas", [
        S("A", "¿Vamos a {trip} en {season}? Podemos alquilar una casa.", "Estoy mirando casas en {trip} para {season}.",
          "Che, ¿armamos un viaje a {trip} para {season}?"),
        S("B", "Me re copa. ¿Cuánto sale?", "Yo voy seguro.", "Pasá el link."),
        S("A", "{url_casa}", "Les paso una: {url_casa}|Sale {amount} por noche, entre todos es poco."),
        S("M", "re lindaaa", "tiene pileta?", "yo voy sí o sí", "ni idea si tengo vacaciones|pero vamos"),
        S("C", "Tiene pileta y parrilla. Es ideal.", "Tenemos que decidir esta semana.", "Yo manejo."),
        S("M", "altoo", "ya quiero", "dale", p=0.6),
    ], w=0.9),
    T("meme_grupo", [
        S("A", "{url}", "<MEDIA:img>", "<MEDIA:video>", "<MEDIA:sticker>", "<MEDIA:gif>"),
        S("M", "jajajaja", "JAJAJA", "tomi sos vos", "muero", "no puedo"),
        S("B", "Jajaja, buenísimo.", "Es Tomi, literal.", "Jajaja.", "¿Quién hizo esto?", p=0.7),
    ], w=1.2),
    T("meme_martu_grupo", [
        S("M", "{url}|jajajaja", "<MEDIA:img>|somos nosotros", "{url}|tomi sos vos", "<MEDIA:sticker>"),
        S("A", "Jajaja, qué bueno.", "No puedo más.", "Martu, ¿de dónde sacás esto?", "Jajaja."),
        S("M", "tiktok", "jajaja", "tengo más", p=0.5),
    ], w=0.8),
    T("vaquita", [
        S("A", "Gente, me deben la plata de la cena. Son {amount} cada uno.",
          "Hago la cuenta de la casa: {amount} cada uno."),
        S("M", "dale|pasame alias", "ya te paso|pasame el alias"),
        S("A", "{alias_a}", "Mi alias: {alias_a}", "Alias: {alias_a}\nA nombre de {fullname_a}."),
        S("B", "Listo, transferido.", "Pagado.", "Te paso mañana, hoy no tengo saldo."),
        S("M", "listo", "transferido|🙌", "ya está", p=0.8),
    ], w=0.7),
    T("serie_grupo", [
        BR([
            S("A", "¿Alguien vio {series}?"),
            S("M", "siii|amé", "yo la dejé en la segunda temporada", "siii|la mejor"),
            S("B", "Yo la vi y me encantó.", "A mí no me gustó, muy lenta."),
        ], [
            S("A", "Recomiéndenme una serie.", "Terminé {series}. ¿Qué veo ahora?"),
            S("M", "{series2}|posta", "mirá {series2}"),
            S("B", "{Series2} es lo mejor que vi.", "Coincido con Martu.", "Yo no la vi, pero dicen que es buena."),
            S("C", "La anoto.", p=0.5),
        ]),
    ], w=0.8),
    T("calor_grupo", [
        S("A", "Qué calor, por favor.", "¿Alguien tiene pileta? Me estoy muriendo."),
        S("B", "Ayer hizo treinta y cinco grados.", "Dicen que el finde refresca."),
        S("M", "me derrito", "mal", "quiero vivir en la heladera"),
    ], w=0.5, months=SUMMER),
    T("frio_grupo", [
        S("A", "Hace un frío terrible hoy.", "¿Alguien sabe si el sábado llueve? Teníamos asado."),
        S("B", "Dicen que llueve todo el finde.", "Pusieron alerta amarilla."),
        S("M", "no puede ser", "mal", "estoy con 3 buzos"),
        S("A", "Lo hacemos adentro.", "Lo pasamos al domingo.", p=0.6),
    ], w=0.5, months=WINTER),
    T("llegue", [
        BR([
            S("A", "Estoy abajo, ¿me abren?"),
            S("B", "Ya bajo.", "Voy."),
        ], [
            S("A", "¿Alguien llegó? Estoy en la puerta."),
            S("B", "Yo estoy por llegar.", "Estamos adentro, entrá."),
            S("M", "yo en 5", "estoy en {bus}|perdón", "ya llego"),
        ], [
            S("M", "llego en 10|perdón", "estoy en {bus}|ya llego"),
            S("A", "Tranqui, recién estamos llegando.", "Apurate, que se enfría la comida."),
            S("M", "jajaja ya voy", p=0.5),
        ]),
    ], w=0.6, hours=[(19, 24), (0, 1)]),
    T("trabajo_grupo", [
        BR([
            S("A", "En mi trabajo están buscando diseñadores. Martu, ¿te interesa?"),
            S("M", "siii|pasame info", "uhh sii|mandame"),
            S("A", "Mandá el CV a {email_a}.", "Mandame el CV a {email_a} y se lo paso a la de recursos humanos."),
            S("M", "dale gracias", "graciasss"),
        ], [
            S("A", "Busco a alguien que sepa de Excel para una changa."),
            S("M", "yo no sé nada de excel jajaja"),
            S("B", "Yo sé. ¿De qué se trata?", "Mi hermano sabe, te paso su número: {phone}"),
            S("A", "Genial, gracias."),
        ], [
            S("A", "Me quedé sin trabajo."),
            S("M", "!nooo|q pasó?"),
            S("A", "Recortaron gente. Ya voy a conseguir algo."),
            S("B", "Cualquier cosa que sepa, te aviso.", "Fuerza, amigo."),
            S("M", "!fuerza|cualquier cosa avisá"),
        ]),
    ], w=0.5),
    T("seleccion", [
        BR([
            S("A", "¿Dónde vemos el partido de la Selección?"),
            S("B", "En casa, como siempre.", "En el bar de la esquina."),
            S("M", "vamooos|me sumo", "me sumo", "altoo"),
            S("C", "Yo llevo la camiseta de la suerte.", "Hay que ir temprano.", p=0.6),
        ], [
            S("A", "Messi es de otro planeta."),
            S("M", "messi te amo", "el mejor"),
            S("B", "El mejor de la historia."),
        ]),
    ], w=0.5),
    T("fotos_grupo", [
        S("A", "<MEDIA:img>|<MEDIA:img>|<MEDIA:img>|Fotos de anoche.", "<MEDIA:img>|<MEDIA:img>|Qué noche."),
        S("M", "q lindaaas", "salgo horrible|jajaja", "altoo"),
        S("B", "Qué buena noche.", "Hay que repetir.", p=0.7),
    ], w=0.6),
    T("pedido", [
        S("A", "¿Pedimos algo para el partido? ¿Pizza o empanadas?", "¿Qué pedimos esta noche? Estoy en lo de {host}."),
        S("M", "empanadas", "pizza|obvio", "las dos", "sushi jajaja"),
        S("B", "Empanadas. De carne cortada a cuchillo.", "Pizza, que es más barato.", "Me da igual, pero que sea ya."),
        S("A", "Listo, pido dos docenas. Después hacemos la cuenta.", "Pido de la pizzería de la esquina."),
        S("M", "🙌", "dale", "altoo", p=0.6),
    ], w=0.6, hours=[(19, 24)]),
    T("cumple_otro", [
        S("A", "El sábado es el cumple de {bday}. ¿Van?", "¿Quién va al cumple de {bday}?"),
        S("M", "yo voy", "siii|vamos juntos?", "no sé si llego|tengo otro cumple"),
        S("B", "Yo voy, pero tarde.", "Yo paso un rato.", "No puedo, trabajo."),
        S("C", "¿Le compramos algo entre todos?", "Yo llevo la torta.", p=0.6),
    ], w=0.5),
    T("pregunta", [
        S("A", "¿Alguien tiene un taladro para prestarme?", "¿Alguien sabe de un buen mecánico?",
          "¿Alguien tiene una carpa para el finde?", "¿Me recomiendan un dentista?"),
        S("B", "Yo tengo. Pasá a buscarlo.", "Te paso el contacto del mío: {phone}", "No, pero preguntale a mi viejo."),
        S("M", "yo no tengo nada jajaja", "ni idea", "yo tmb necesito", p=0.6),
        S("A", "Gracias.", "Genial, gracias.", "Sos un genio."),
    ], w=0.5),
    T("ubicacion", [
        S("A", "Les paso la ubicación del bar: {url_maps}", "El lugar es este: {url_maps}"),
        S("M", "dale", "ok ok", "llego tipo {mtime}"),
        S("B", "Perfecto.", "Ahí vamos.", p=0.6),
    ], w=0.4),
]

MAMA_TOPICS = [
    T("llegaste", [
        S("A", "¿Llegaste bien, hija?", "¿Ya llegaste a tu casa?", "Avisame cuando llegues."),
        S("M", "siii ma|llegué hace un rato", "sii|todo bien", "llegué|besoo", "recién|todo ok"),
        S("A", "Bueno, menos mal. Que descanses.", "Perfecto. Besos.", "Gracias por avisar. Te quiero.", p=0.7),
    ], w=1.2, hours=[(19, 24), (0, 1)], opener=True),
    T("domingo_mama", [
        BR([
            S("A", "¿Venís el domingo a comer? Hago {dish}.", "El domingo hago {dish}. ¿Venís?"),
            BR([
                S("M", "siii|obvio", "{dish}???|voy seguro", "sii|a q hora?"),
                S("A", "A la una. No llegues tarde.", "Dale, te espero a la una. Besos."),
            ], [
                S("M", "dale|llevo postre?", "siii|llevo algo?"),
                S("A", "Traé helado, si querés.", "No hace falta, hice flan."),
            ]),
            S("M", "dale", "ok ma", "jajaja ok", "besoo", p=0.7),
        ], [
            S("A", "El domingo viene {relative}. ¿Venís?", "¿Te espero el domingo al mediodía?"),
            BR([
                S("M", "siii|obvio", "sii|a q hora?"),
                S("A", "A la una. No llegues tarde.", "Al mediodía. Besos."),
            ], [
                S("M", "no sé ma|tengo q estudiar", "no puedo ma|tengo un cumple"),
                S("A", "Bueno, si podés venir avisame.", "Bueno, otro domingo será."),
                S("M", "dale", "perdón ma", p=0.6),
            ]),
        ]),
    ], w=1.3),
    T("turno", [
        BR([
            S("A", "Acordate de que el {weekday} tenés turno con la dentista a las diez."),
            S("M", "sii ma ya sé|gracias", "ya sé ma|lo tengo anotado"),
        ], [
            S("A", "¿Sacaste el turno para el médico?", "No te olvides de {chore}."),
            S("M", "nooo me olvidé|ahora lo hago", "ya está", "sii|mañana lo hago"),
            S("A", "Bueno. Avisame.", "Bueno.", p=0.6),
        ]),
    ], w=1.0, hours=DAY),
    T("abuela", [
        BR([
            S("A", "La abuela pregunta por vos. Llamala."),
            S("M", "ay siii|hoy la llamo", "dale|mañana la llamo"),
            S("A", "Llamala hoy, que se pone contenta.", p=0.7),
        ], [
            S("A", "Hoy fui a ver a la abuela. Te manda besos."),
            S("M", "q linda|cómo está?"),
            S("A", "Bien, un poco cansada, pero contenta."),
        ], [
            S("A", "La abuela cumple años el jueves. No te olvides."),
            S("M", "ya sé ma|le compré {gift}"),
            S("A", "Le va a encantar."),
        ]),
    ], w=0.9),
    T("receta", [
        BR([
            S("M", "ma|me pasás la receta del budín?"),
            S("A", "Receta del budín:\n3 huevos\n1 taza de azúcar\n2 tazas de harina leudante\n1/2 taza de aceite\nHorno: 180° por 40 minutos"),
        ], [
            S("M", "cómo hacías las milanesas?", "ma|cómo hacías las milanesas?"),
            S("A", "Huevo, ajo, perejil y sal. Pan rallado del bueno, no el del supermercado."),
        ], [
            S("M", "ma cuánto tiempo va el pollo al horno?"),
            S("A", "Una hora a 200°. Dalo vuelta a la media hora."),
        ]),
        S("M", "gracias ma", "graciasss", "perfecto|te mando foto cuando salga"),
        BR([
            S("M", "<MEDIA:img>|salió re bien", "<MEDIA:img>"),
            S("A", "¡Qué rico! Te salió igual que a mí.", "Muy bien, hija."),
        ], p=0.4),
    ], w=0.7),
    T("plata_mama", [
        BR([
            S("A", "Te transferí para la cuota de la facultad.", "Te mandé {amount} para el cumpleaños de tu amiga."),
            S("M", "graciasss ma", "ay gracias|no hacía falta", "gracias|te quiero"),
        ], [
            S("A", "¿Necesitás plata este mes?"),
            S("M", "no ma tranqui|estoy bien", "un poquito|jajaja"),
            S("A", "Bueno, cualquier cosa avisame."),
        ]),
    ], w=0.6),
    T("abrigo", [
        S("A", "Abrigate, que hace frío.", "Mañana hace mucho frío. Llevá la campera."),
        S("M", "siii ma", "jajaja ok", "ya sé ma", "dale"),
    ], w=0.7, months=WINTER),
    T("calor_mama", [
        S("A", "Mañana hace mucho calor. Tomá agua y no salgas al mediodía."),
        S("M", "siii ma", "ok", "ya sé ma"),
    ], w=0.5, months=SUMMER),
    T("paraguas", [
        S("A", "Llevá paraguas, que va a llover.", "Dicen que mañana hay tormenta. Cuidate."),
        S("M", "siii ma", "jajaja ok", "dale"),
    ], w=0.4),
    T("llamada_mama", [
        S("A", "<CALL>"),
        S("A", "<CALL>", p=0.4),
        S("A", "¿Por qué no atendés?", "Llamame cuando puedas.", "¿Estás bien? Te llamé."),
        S("M", "estaba en clase|después te llamo", "sii ma perdón|ahí te llamo", "estoy en el laburo|q pasó?",
          "todo bien|no escuché"),
        S("A", "Nada urgente. Llamame después.", "Bueno, quedate tranquila.", "Era para saber cómo estabas."),
    ], w=0.6, hours=DAY, opener=True),
    T("foto_mama", [
        BR([
            S("A", "<MEDIA:img>|Mirá lo que encontré. ¡Vos de chiquita!"),
            S("M", "jajaja nooo|q vergüenza", "q lindaaa|jajaja"),
            S("A", "Estabas hermosa.", p=0.6),
        ], [
            S("A", "<MEDIA:img>|Las flores del jardín.", "<MEDIA:img>|Tu papá arregló la bicicleta."),
            S("M", "q lindooo", "altoo", "q lindo ma"),
        ]),
    ], w=0.6),
    T("como_estas_mama", [
        S("A", "¿Cómo estás, hija? Hace días que no sé nada de vos.", "¿Cómo te fue hoy?", "¿Cómo andás?"),
        S("M", "bien ma|mucho laburo", "bien bien|con la facu", "bien|cansada"),
        S("A", "No te olvides de comer.", "Bueno, cuidate. Te quiero mucho.", "Cuando puedas, vení a visitarnos."),
        S("M", "te quiero", "dale ma", "besoo", p=0.8),
    ], w=1.0, opener=True),
    T("papa", [
        S("A", "Tu papá quiere saber si le podés arreglar la computadora.", "Tu papá no puede entrar al homebanking. ¿Lo ayudás?"),
        S("M", "jajaja otra vez?|el finde voy", "q tocó ahora?|jajaja"),
        S("A", "Dice que no tocó nada.", "No sé, dice que se apagó sola."),
        S("M", "siempre dice eso", "jajaja ok|el finde lo veo"),
    ], w=0.6),
    T("paro_mama", [
        S("A", "Hija, dicen que mañana hay paro de colectivos. Fijate cómo vas a ir.",
          "Mañana hay paro de trenes. ¿Cómo vas a ir a trabajar?"),
        S("M", "siii ma|voy en subte", "ya sé|voy en bici", "no sé|veo mañana"),
        S("A", "Bueno, tené cuidado.", p=0.6),
    ], w=0.5),
]

# Date-bound conversations: (date, hour, minute, chat, steps, roles) (roles: who speaks as A, B, C).
FORCED = [
    (dt.date(2023, 9, 8), 0, 2, "flor", [
        S("A", "¡Feliz cumple, amiga! Que tengas un día hermoso. Te quiero muchísimo."),
        S("M", "!graciasss|te quiero mucho|ya quiero q sea la noche"),
        S("A", "Esta noche festejamos como corresponde."),
        S("M", "siii|jajaja"),
    ], None),
    (dt.date(2023, 9, 8), 8, 30, "mama", [
        S("A", "¡Feliz cumpleaños, mi amor! Hoy hace veinticinco años nos cambiaste la vida. Te quiero mucho."),
        S("M", "!graciasss ma|te quiero"),
        S("A", "Esta noche venís a cenar, ¿no? Hago tu torta preferida."),
        S("M", "siii|obvio"),
    ], None),
    (dt.date(2023, 9, 8), 10, 14, "pibes", [
        S("A", "¡Feliz cumple, Martu!"),
        S("B", "¡Feliz cumpleaños! Que la pases genial."),
        S("M", "graciasss chicos|los quiero", "jajaja fiesta en casa el sábado|vengan"),
    ], ("Tomi", "Juli", "Tomi")),
    (dt.date(2023, 5, 17), 9, 40, "pibes", [
        S("A", "¡Feliz cumple, {b}!"),
        S("M", "feliz cumpleee {b}|te quiero mucho"),
        S("B", "¡Gracias, chicos! El sábado hago algo en casa."),
        S("M", "altoo|ahí estaré"),
    ], ("Juli", "Tomi", "Juli")),
    (dt.date(2023, 11, 3), 11, 5, "pibes", [
        S("A", "¡Feliz cumple, {b}!"),
        S("M", "feliz cumple juliii|te quiero mucho"),
        S("C", "¡Feliz cumpleaños, Juli!"),
        S("B", "¡Gracias! Los quiero."),
    ], ("Tomi", "Juli", "Nacho")),
    (dt.date(2024, 2, 10), 12, 20, "pibes", [
        S("A", "¡Feliz cumple, {b}!"),
        S("C", "¡Feliz cumpleaños!"),
        S("M", "feliz cumple nacho|q la pases lindo"),
        S("B", "¡Gracias, gente! Qué lindo grupo."),
    ], ("Juli", "Nacho", "Tomi")),
    (dt.date(2024, 5, 17), 10, 3, "pibes", [
        S("A", "¡Feliz cumple, {b}!"),
        S("M", "feliz cumpleee tomi|te quiero mucho"),
        S("C", "¡Feliz cumple, viejo!"),
        S("B", "¡Gracias, chicos! Asado el sábado."),
        S("M", "altoo"),
    ], ("Juli", "Tomi", "Nacho")),
    (dt.date(2024, 1, 22), 0, 1, "flor", [
        S("M", "!feliz cumple amigaaa|te amo|q la pases hermoso"),
        S("A", "¡Gracias, amiga! Sos la primera, como todos los años."),
        S("M", "siempre|jajaja"),
    ], None),
    (dt.date(2024, 1, 1), 0, 3, "flor", [
        S("M", "!feliz añooo|te quiero amiga"),
        S("A", "¡Feliz año! Que este sea nuestro año."),
        S("M", "q así sea"),
    ], None),
    (dt.date(2024, 1, 1), 0, 4, "pibes", [
        S("A", "¡Feliz año, gente!"),
        S("M", "feliz añooo"),
        S("B", "¡Feliz 2024! Los quiero."),
        S("C", "¡Feliz año nuevo!"),
    ], None),
    (dt.date(2023, 12, 25), 0, 1, "mama", [
        S("A", "¡Feliz Navidad, hija! Te extrañamos en la mesa."),
        S("M", "!feliz navidad ma|mañana voy temprano"),
        S("A", "Te guardo vitel toné. Cuidate mucho."),
    ], None),
    (dt.date(2024, 1, 1), 0, 6, "mama", [
        S("A", "¡Feliz año nuevo, mi amor! Que se cumplan todos tus deseos."),
        S("M", "!feliz año ma|los quiero mucho"),
    ], None),
    (dt.date(2024, 7, 14), 23, 49, "pibes", [
        S("A", "¡CAMPEONES OTRA VEZ!"),
        S("B", "¡Qué equipo! Lautaro, te amo."),
        S("M", "!vamooos|lloré todo"),
        S("C", "¡Dale campeón!"),
    ], None),
]

# Martu's laughs, emojis, elongations and vocatives.
LAUGHS = ["jajaja", "jajajaja", "jajaj", "jajsjs", "jajsjsjs", "jsjsjs", "jajajajaja", "JAJAJA",
          "JAJAJAJA", "jaja", "jajajsjs", "JAJAJAJAJ"]
LAUGH_W = [10, 7, 3, 4, 3, 2, 3, 3, 2, 2, 2, 1]
M_EMOJIS = ["😂", "🙌", "✨", "🥲", "💀", "😭", "❤️", "🤌"]
M_EMOJI_W = [6, 4, 4, 3, 3, 2, 2, 1]
ELONG = {
    "si": ["sii", "siii", "siiii"], "no": ["noo", "nooo", "noooo"], "dale": ["dalee", "daleee"],
    "bueno": ["buenoo", "buenooo"], "amiga": ["amigaa", "amigaaa"], "hola": ["holaa", "holaaa"],
    "gracias": ["graciass", "graciasss"], "obvio": ["obviooo", "obvioo"], "mal": ["maaal"],
    "vamos": ["vamooos", "vamoos"], "lindo": ["lindooo"], "linda": ["lindaaa"], "ya": ["yaaa"],
    "chau": ["chauu"], "beso": ["besoo", "besooo"], "alto": ["altoo", "altooo"], "posta": ["postaa"],
    "nada": ["nadaa"], "bien": ["bieen", "bieeen"], "ok": ["okk"], "voy": ["voooy"],
}
# Elongated only when the word ends the message (noooo, dale siii), never in the middle (no contesta).
ELONG_RE = re.compile(r"\b(" + "|".join(sorted(ELONG, key=len, reverse=True)) + r")$")
VOCATIVES = {"flor": ["amiga", "boluda", "amigaaa", "che"], "pibes": ["chicos", "che", "gente"],
             "mama": ["ma", "mami"]}

OTHER_EMOJIS = {
    "flor": (["😊", "🙂", "😅", "🙏", "❤️", "👍"], 0.04),
    "pibes": (["😂", "🍻", "⚽", "👍", "🔥", "🤣"], 0.05),
    "mama": (["😘", "❤️", "🙏", "😊", "👍"], 0.10),
}
OTHER_OPENERS = {"flor": ["Che, ", "Ay, ", "Bueno, ", "Martu, "], "pibes": ["Che, ", "Gente, ", "Bueno, "],
                 "mama": ["Hija, ", "Martu, ", "Mi amor, "]}

WEEKDAYS = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]


# --------------------------------------------------------------------------------------------------
# Turning templates into messages
# --------------------------------------------------------------------------------------------------

def expand(steps, rng: random.Random) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for st in steps:
        if st[0] == "S":
            _, role, variants, p = st
            if p < 1.0 and rng.random() >= p:
                continue
            out.append((role, rng.choice(variants)))
        else:
            _, branches, p = st
            if p < 1.0 and rng.random() >= p:
                continue
            out.extend(expand(rng.choice(branches), rng))
    return out


SLOT_RE = re.compile(r"\{(\w+)\}")


def fill(text: str, slots: dict, rng: random.Random, lower: bool, names: dict[str, str],
         when: dt.datetime) -> str:
    def one(m: re.Match) -> str:
        name = m.group(1)
        key = name.lower()
        if key in names:
            value = names[key]
        elif key == "weekday":
            value = slots.setdefault(key, WEEKDAYS[(when.weekday() + rng.randint(1, 4)) % 7])
        elif key in SPECIAL_SLOTS:
            value = slots.setdefault(key, SPECIAL_SLOTS[key](rng))
        elif key in SLOT_GROUP_OF:
            group = SLOT_GROUP_OF[key]
            values = SLOT_GROUPS[group][key]
            i = slots.setdefault("#" + group, rng.randrange(len(values)))
            value = values[i]
        else:
            if key not in slots:
                base = key.rstrip("0123456789")
                used = set(slots.values())
                slots[key] = rng.choice([v for v in SLOTS[base] if v not in used] or SLOTS[base])
            value = slots[key]
        if lower and not is_raw_slot(key):
            value = value.lower()
        elif name[0].isupper():
            value = value[:1].upper() + value[1:]
        return value

    return SLOT_RE.sub(one, text)


def laugh(rng: random.Random) -> str:
    return rng.choices(LAUGHS, LAUGH_W)[0]


def m_emoji(rng: random.Random) -> str:
    e = rng.choices(M_EMOJIS, M_EMOJI_W)[0]
    return e * 2 if rng.random() < 0.15 else e


ALIAS_VALUES = tuple(v[0] for v in PEOPLE.values())


def is_special(text: str) -> bool:
    """Media, calls, links, contact data: written as is, nothing added."""
    return (text.startswith(("<MEDIA", "<CALL>", "http", "+54", "Av. ")) or "@" in text
            or "http" in text or any(a in text for a in ALIAS_VALUES))


def has_laugh(t: str) -> bool:
    return bool(re.search(r"ja|js|JA", t))


SOFT_EMOJIS = ["❤️", "🥲", "✨", "😭"]


def style_martu(text: str, rng: random.Random, laughed: bool = False, serious: bool = False) -> str:
    """Lower case, no ¿¡ or final period, elongated vowels, laughs and emojis (softer when serious)."""
    if is_special(text):
        return text
    if text.upper() == text and any(c.isalpha() for c in text):
        return text  # VAMOS: an intentional shout
    t = text.replace("¿", "").replace("¡", "").lower().rstrip(".")
    t = ELONG_RE.sub(lambda m: rng.choice(ELONG[m.group(1)]) if rng.random() < 0.3 else m.group(1), t)
    if t in ELONG and rng.random() < 0.3:  # a one-word message
        t = rng.choice(ELONG[t])
    if serious:
        if rng.random() < 0.12 and all(ord(c) < 0x2000 for c in t):
            t = t + " " + rng.choice(SOFT_EMOJIS)
        return t
    if not laughed and not has_laugh(t) and all(ord(c) < 0x2000 for c in t):
        r = rng.random()
        if r < 0.04:
            t = laugh(rng) + " " + t
        elif r < 0.07:
            t = t + " " + laugh(rng)
    if rng.random() < 0.16 and all(ord(c) < 0x2000 for c in t):
        t = t + ("" if rng.random() < 0.3 else " ") + m_emoji(rng)
    return t


def cap_first(t: str) -> str:
    for i, c in enumerate(t):
        if c.isalpha():
            return t[:i] + c.upper() + t[i + 1:]
    return t


PROPER = {"Roco", "Luna", "Fede", "Santi", "Martu", "Tomi", "Juli", "Nacho", "Messi", "Flor", "Lautaro"}
PROPER.update(w.split()[0] for vs in SLOTS.values() for v in vs for w in [v] if v[:1].isupper())


def style_other(text: str, rng: random.Random, chat: str) -> str:
    if is_special(text):
        return text
    t = cap_first(text)
    if t[0] in "¿¡" and "hija" not in t.lower() and rng.random() < 0.12:
        first = t[1:].split()[0].strip("¿?¡!.,")
        if first not in PROPER and first.upper() != first:
            t = t[0] + t[1].lower() + t[2:]
        t = rng.choice(OTHER_OPENERS[chat]) + t
    emojis, rate = OTHER_EMOJIS[chat]
    if rng.random() < rate and t[-1] in ".!":
        t = t + " " + rng.choice(emojis)
    return t


def render_conversation(topics, rng: random.Random, chat: str, names: dict[str, str],
                        when: dt.datetime) -> list[tuple[str, str]]:
    """topics: one list of steps per topic. Returns [(role, text)] with every burst split into its messages."""
    out: list[tuple[str, str]] = []
    for steps in topics:
        render_topic(steps, rng, chat, names, when, out)
    return out


def render_topic(steps, rng: random.Random, chat: str, names: dict[str, str], when: dt.datetime,
                 out: list[tuple[str, str]]) -> None:
    slots: dict = {}  # fresh for every topic
    called = False  # Martu says "amiga"/"chicos"/"ma" as a message of its own at most once per topic
    for role, variant in expand(steps, rng):
        serious = variant.startswith("!")
        variant = variant.lstrip("!")
        parts = fill(variant, slots, rng, role == "M", names, when).split("|")
        if role == "M":
            if serious:
                msgs = [style_martu(p, rng, serious=True) for p in parts]
            else:
                msgs = []
                for p in parts:
                    msgs.append(style_martu(p, rng, any(has_laugh(m) for m in msgs)))
                plain = not any(is_special(m) for m in msgs)
                if plain and len(msgs) < 4 and not any(has_laugh(m) for m in msgs) and rng.random() < 0.10:
                    msgs.append(laugh(rng))
                if plain and len(msgs) < 4 and rng.random() < 0.05:
                    msgs.append(m_emoji(rng))
                voc = rng.choice(VOCATIVES[chat])
                if plain and not called and len(msgs) < 4 and rng.random() < 0.07 and not msgs[0].startswith(voc[:3]):
                    msgs.insert(0, voc)
                    called = True
        else:
            msgs = [style_other(p, rng, chat) for p in parts]
        out.extend((role, m) for m in msgs)


# --------------------------------------------------------------------------------------------------
# Scheduling: when conversations happen and how fast people answer
# --------------------------------------------------------------------------------------------------

HOUR_W = {
    "flor": [4, 2, 1, .3, .1, .1, .3, 2, 5, 6, 5, 5, 6, 6, 5, 5, 6, 7, 8, 9, 10, 10, 9, 7],
    "pibes": [2, 1, .5, .1, 0, 0, .1, .5, 2, 3, 3, 4, 5, 5, 4, 4, 5, 6, 8, 9, 10, 9, 7, 4],
    "mama": [0, 0, 0, 0, 0, 0, .2, 2, 4, 5, 5, 5, 6, 5, 4, 4, 4, 5, 6, 6, 6, 4, 2, .5],
}
DAY_GAP = {  # (days ahead, weight) for the next conversation
    "flor": ([0, 1, 2, 3, 4], [58, 33, 6, 2, 1]),
    "pibes": ([0, 1, 2, 3, 4, 6], [22, 28, 22, 13, 9, 6]),
    "mama": ([0, 1, 2, 3, 4, 5, 7], [12, 28, 25, 15, 10, 6, 4]),
}
TOPICS_PER_CONVERSATION = {"flor": ([1, 2, 3], [45, 36, 19]), "pibes": ([1, 2, 3], [58, 31, 11]),
                           "mama": ([1, 2, 3], [50, 34, 16])}


def in_hours(hours, hour: int) -> bool:
    for a, b in hours:
        if (a <= hour < b) if a < b else (hour >= a or hour < b):
            return True
    return False


def topic_ok(topic, t: dt.datetime) -> bool:
    return ((topic["hours"] is None or in_hours(topic["hours"], t.hour))
            and (topic["months"] is None or t.month in topic["months"])
            and (topic["wd"] is None or t.weekday() in topic["wd"]))


def conversation_steps(chat: str, topics, rng: random.Random, t: dt.datetime, recent: list[str]):
    """1-3 topics, none of them among the last few conversations' topics (recent is updated)."""
    n = rng.choices(*TOPICS_PER_CONVERSATION[chat])[0]
    used: list[str] = []
    steps = []  # one list of steps per topic
    for i in range(n):
        ok = [x for x in topics if topic_ok(x, t) and x["name"] not in used and (i == 0 or not x["opener"])]
        cands = [x for x in ok if x["name"] not in recent] or ok
        topic = rng.choices(cands, [x["w"] for x in cands])[0]
        used.append(topic["name"])
        recent.append(topic["name"])
        del recent[:-len(topics) // 4]
        steps.append(topic["steps"])
        if topic["name"] == "buenas_noches":  # nothing after good night
            break
    return steps


def next_start(rng: random.Random, chat: str, cursor: dt.datetime) -> dt.datetime:
    days, w = DAY_GAP[chat]
    for _ in range(20):
        d = rng.choices(days, w)[0]
        hour = rng.choices(range(24), HOUR_W[chat])[0]
        t = dt.datetime.combine(cursor.date() + dt.timedelta(days=d),
                                dt.time(hour, rng.randrange(60), rng.randrange(60)))
        if t >= cursor + dt.timedelta(minutes=25):
            return t
    return cursor + dt.timedelta(minutes=rng.randint(40, 240), seconds=rng.randrange(60))


def timed(msgs: list[tuple[str, str]], start: dt.datetime, rng: random.Random) -> list[tuple[dt.datetime, str, str]]:
    """Seconds apart inside a burst, seconds to minutes between speakers, now and then a long pause."""
    t = start
    out = []
    prev_role = None
    for i, (role, text) in enumerate(msgs):
        if i:
            if role == prev_role:
                t += dt.timedelta(seconds=rng.randint(2, 18) + len(text) // 8)
            else:
                r = rng.random()
                if r < 0.70:
                    gap = rng.randint(8, 90)
                elif r < 0.94:
                    gap = rng.randint(90, 420)
                else:
                    gap = rng.randint(600, 2700)
                t += dt.timedelta(seconds=gap + len(text) // 5)
        out.append((t, role, text))
        prev_role = role
    return out


# --------------------------------------------------------------------------------------------------
# Chats
# --------------------------------------------------------------------------------------------------

EDIT_SINCE = dt.datetime(2023, 5, 23)  # WhatsApp started letting people edit messages about then


def decorate(rows, rng: random.Random):
    """Deleted and edited messages, at low rates. rows: [(t, role, text)] -> [(t, role, text, flag)]."""
    out = []
    for t, role, text in rows:
        flag = ""
        if not is_special(text) and "\n" not in text:
            r = rng.random()
            if r < 0.005:
                flag = "deleted"
            elif r < 0.012 and t >= EDIT_SINCE and len(text) > 6:
                flag = "edited"
        out.append((t, role, text, flag))
    return out


def build_chat(chat: str, topics, rng: random.Random, start: dt.datetime, end: dt.datetime,
               names_for, extra_events=()) -> list[tuple]:
    """Returns a time-ordered list of records: ("msg", t, author, text, flag) or ("sys", t, text).

    The first conversation starts at `start`; the next ones follow the chat's daily rhythm."""
    records: list[tuple] = []
    cursor = start
    first = True
    forced = sorted(((dt.datetime.combine(d, dt.time(h, m)), steps, roles)
                     for d, h, m, c, steps, roles in FORCED if c == chat), key=lambda x: x[0])
    events = sorted(extra_events)
    recent: list[str] = []
    while True:
        t0 = start if first else next_start(rng, chat, cursor)
        first = False
        steps = roles = None
        if forced and forced[0][0] <= t0:
            t0, steps, roles = forced.pop(0)
            steps = [steps]
            t0 = max(t0, cursor + dt.timedelta(seconds=30))
        if t0 > end:
            break
        while events and events[0][0] <= t0:
            te, text = events.pop(0)
            if records:
                te = max(te, records[-1][1] + dt.timedelta(seconds=5))
            records.append(("sys", te, text))
            cursor = te
            t0 = max(t0, cursor + dt.timedelta(minutes=1))
        names = names_for(t0, rng, roles)
        if steps is None:
            steps = conversation_steps(chat, topics, rng, t0, recent)
        msgs = render_conversation(steps, rng, chat, names, t0)
        rows = decorate(timed(msgs, t0, rng), rng)
        for t, role, text, flag in rows:
            author = MARTU if role == "M" else names["role_" + role.lower()]
            records.append(("msg", t, author, text, flag))
        cursor = rows[-1][0]
    return records


def role_names(members: list[str], shown: dict[str, str]) -> dict[str, str]:
    """The names templates can use for the roles A, B, C and for Martu (M)."""
    d: dict[str, str] = {}
    for role, who in zip("abc", members):
        alias, email, full = PEOPLE[who]
        d.update({"role_" + role: shown.get(who, who), role: who, "alias_" + role: alias,
                  "email_" + role: email, "fullname_" + role: full})
    alias, email, full = PEOPLE[MARTU]
    d.update({"alias_m": alias, "email_m": email, "fullname_m": full})
    d["host"] = d.get("b", "")  # whose place: B (A proposes it, C and Martu repeat it; B never says it)
    return d


# ---- renderers --------------------------------------------------------------------------------------

def android24_header(t: dt.datetime) -> str:
    return f"{t:%d/%m/%y}, {t:%H:%M} - "


def android12_header(t: dt.datetime) -> str:
    h = t.hour % 12 or 12
    marker = "a. m." if t.hour < 12 else "p. m."
    return f"{t.day}/{t.month}/{t.year} {h}:{t.minute:02d} {marker} - "


def ios_header(t: dt.datetime, fmt_rng: random.Random) -> str:
    h = t.hour % 12 or 12
    marker = "a. m." if t.hour < 12 else "p. m."
    if fmt_rng.random() < 0.3:
        marker = marker.replace(" ", NBSP)
    return f"[{t.day}/{t.month}/{t.year % 100:02d}, {h}:{t.minute:02d}:{t.second:02d}{NNBSP}{marker}] "


def android_body(text: str, author: str, flag: str) -> str:
    if text.startswith("<MEDIA"):
        return "<Multimedia omitido>"
    if text == "<CALL>":
        return "Llamada perdida"
    if flag == "deleted":
        return "Eliminaste este mensaje." if author == MARTU else "Se eliminó este mensaje."
    if flag == "edited":
        return text + " <Se editó este mensaje.>"
    return text


IOS_MEDIA = {"img": "imagen omitida", "audio": "audio omitido", "sticker": "sticker omitido",
             "video": "Video omitido", "gif": "GIF omitido"}


def ios_body(text: str, author: str, flag: str) -> tuple[str, bool]:
    """Returns (body, whether the line starts with U+200E)."""
    if text.startswith("<MEDIA:"):
        return LRM + IOS_MEDIA[text[7:-1]], True
    if text == "<CALL>":
        return LRM + "Llamada de voz perdida", True
    if flag == "deleted":
        return LRM + ("Eliminaste este mensaje." if author == MARTU else "Se eliminó este mensaje."), True
    if flag == "edited":
        return text + " " + LRM + "<Se editó este mensaje.>", False
    return text, False


def write_android(path: str, records, header, encryption: str, first: dt.datetime) -> None:
    lines = [header(first) + encryption]
    for rec in records:
        if rec[0] == "sys":
            lines.append(header(rec[1]) + rec[2])
        else:
            _, t, author, text, flag = rec
            lines.append(header(t) + author + ": " + android_body(text, author, flag))
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(lines) + "\n")


def write_ios(path: str, records, group: str, encryption: str, first: dt.datetime) -> None:
    fmt_rng = random.Random(SEED + 99)
    lines = [ios_header(first, fmt_rng) + f"{group}: {LRM}{encryption}"]
    for rec in records:
        if rec[0] == "sys":
            lines.append(LRM + ios_header(rec[1], fmt_rng) + f"{group}: {LRM}{rec[2]}")
        else:
            _, t, author, text, flag = rec
            body, lead = ios_body(text, author, flag)
            lines.append((LRM if lead else "") + ios_header(t, fmt_rng) + f"{author}: {body}")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\r\n".join(line.replace("\n", "\r\n") for line in lines) + "\r\n")


# --------------------------------------------------------------------------------------------------

ENC_ANDROID = ("Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este chat, "
               "ni siquiera WhatsApp, puede leerlos ni escucharlos.")
ENC_IOS = ("Los mensajes y las llamadas están cifrados de extremo a extremo. Solo las personas en este chat "
           "pueden leerlos, escucharlos o compartirlos.")
SECURITY_CODE = "Cambió tu código de seguridad con {}. Toca para obtener más información."

NACHO_SHOWN = f"~{NNBSP}Nacho"
NACHO_PHONE = "+54 9 11 5555-0177"
NACHO_JOINS = dt.datetime(2023, 10, 5, 19, 42, 10)


def make_flor(out_dir: str) -> None:
    rng = random.Random(SEED + 1)
    events = [(dt.datetime(2023, 11, 2, 10, 5), SECURITY_CODE.format("Flor")),
              (dt.datetime(2024, 4, 18, 16, 40), SECURITY_CODE.format("Flor"))]
    records = build_chat("flor", FLOR_TOPICS, rng, dt.datetime(2023, 3, 14, 9, 17, 12),
                         dt.datetime(2024, 7, 20, 23, 0), lambda t, r, roles: role_names(["Flor"], {}), events)
    write_android(os.path.join(out_dir, "Chat de WhatsApp con Flor.txt"), records, android24_header, ENC_ANDROID,
                  dt.datetime(2023, 3, 14, 9, 15))


def make_mama(out_dir: str) -> None:
    rng = random.Random(SEED + 3)
    records = build_chat("mama", MAMA_TOPICS, rng, dt.datetime(2023, 6, 20, 20, 28, 30),
                         dt.datetime(2024, 6, 30, 22, 0), lambda t, r, roles: role_names(["Mamá"], {}))
    write_android(os.path.join(out_dir, "Chat de WhatsApp con Mamá.txt"), records, android12_header, ENC_ANDROID,
                  dt.datetime(2023, 6, 20, 20, 26))


def make_pibes(out_dir: str) -> None:
    rng = random.Random(SEED + 2)
    events = [
        (dt.datetime(2023, 4, 2, 18, 3, 41), 'Tomi creó el grupo "Los Pibes"'),
        (dt.datetime(2023, 4, 2, 18, 3, 41), "Tomi te añadió"),
        (dt.datetime(2023, 4, 2, 18, 3, 52), "Tomi añadió a Juli"),
        (dt.datetime(2023, 8, 19, 21, 12, 7), "Tomi cambió el asunto del grupo a: Los Pibes 🍻"),
        (dt.datetime(2023, 8, 19, 21, 14, 30), "Juli cambió la foto del grupo"),
        (NACHO_JOINS, f"{NACHO_PHONE} se unió usando el enlace de invitación de este grupo"),
        (dt.datetime(2024, 3, 2, 11, 20, 45), "Juli cambió el asunto del grupo a: Los Pibes"),
    ]
    shown = {"Nacho": NACHO_SHOWN}

    def names_for(t: dt.datetime, r: random.Random, roles) -> dict[str, str]:
        if roles:
            return role_names(list(roles), shown)
        if t > NACHO_JOINS:
            members = ["Tomi", "Juli", "Nacho"]
            r.shuffle(members)
        else:  # before Nacho joins, C is whoever of Tomi and Juli spoke as A
            members = ["Tomi", "Juli"]
            r.shuffle(members)
            members.append(members[0])
        return role_names(members, shown)

    records = build_chat("pibes", GROUP_TOPICS, rng, dt.datetime(2023, 4, 2, 18, 5, 20),
                         dt.datetime(2024, 7, 16, 1, 0), names_for, events)
    # Nacho introduces himself right after joining.
    for i, rec in enumerate(records):
        if rec[0] == "sys" and rec[2].startswith(NACHO_PHONE):
            t = rec[1]
            add = [("msg", t + dt.timedelta(seconds=40), NACHO_SHOWN, "¡Hola a todos! Soy Nacho, amigo de Juli.", ""),
                   ("msg", t + dt.timedelta(seconds=75), "Juli", "¡Bienvenido, Nacho!", ""),
                   ("msg", t + dt.timedelta(seconds=90), MARTU, "holaa nacho", ""),
                   ("msg", t + dt.timedelta(seconds=96), MARTU, "bienvenido 🙌", "")]
            if i + 1 == len(records) or records[i + 1][1] > add[-1][1]:
                records[i + 1:i + 1] = add
            break
    os.makedirs(os.path.join(out_dir, "WhatsApp Chat - Los Pibes"), exist_ok=True)
    write_ios(os.path.join(out_dir, "WhatsApp Chat - Los Pibes", "_chat.txt"), records, "Los Pibes", ENC_IOS,
              dt.datetime(2023, 4, 2, 18, 3, 41))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write synthetic WhatsApp exports (see the module docstring).")
    ap.add_argument("--out", default="data/sample", help="folder to write the exports to (default: data/sample)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    make_flor(args.out)
    make_pibes(args.out)
    make_mama(args.out)
    for name in ("Chat de WhatsApp con Flor.txt", os.path.join("WhatsApp Chat - Los Pibes", "_chat.txt"),
                 "Chat de WhatsApp con Mamá.txt"):
        print(f"wrote {os.path.join(args.out, name)} ({os.path.getsize(os.path.join(args.out, name))} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
