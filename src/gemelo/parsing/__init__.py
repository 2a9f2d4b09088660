"""Parse WhatsApp ".txt" exports: Android and iOS, any date layout, seven languages' wording (and any other's
text messages).

The package reads in the order a file is parsed:
- `files`: a .txt, a .zip or a folder of them, in any encoding WhatsApp writes;
- `text`: one file's text to messages (the main line: normalise, find headers, split exports, build messages);
- `headers`: the one table of header layouts and the regex built from it;
- `dates`: which number is the day, the month and the year, by three named heuristics;
- `exports`: where each of several exports pasted into one file starts;
- `kinds`: a message's kind (text, media, deleted, system) and edited marker, from
- `locales`: the wording WhatsApp uses in each language, with where each table came from;
- `messages`: `Message`, `Parsed` (with the account of every line) and the JSON Lines writer;
- `fast`: the usual file (one export) parsed a column at a time, as the reference parses it;
- `halves`: a big export parsed in two processes at once (`gemelo parse`).
See ../shared/notes/whatsapp-formats.md for the variants handled.
"""

from gemelo.parsing.files import parse_path
from gemelo.parsing.messages import Block, Message, Parsed, jsonl
from gemelo.parsing.text import parse_text

__all__ = ["Block", "Message", "Parsed", "jsonl", "parse_path", "parse_text"]
