"""What WhatsApp writes instead of a person's words, in each language: the texts that tell a message's kind.

One table per language, each row `(kind, how, text)`:
- kind: "media", "deleted", "system", or "edited" (a marker appended to a message's own text);
- how: "is" (the whole body), "starts", "ends" (of the body's first line for attachments, of the body
  otherwise), or "has" (anywhere: only looked for where the line is already known not to be a person's
  text, an iOS body led by U+200E or an Android line without an author, and in would-be authors).
A text starting with a letter also matches with that letter's case swapped; a deleted text also matches
without its final period (Android writes none, iOS one).

Where each came from (none of these files is in the repository: chats are personal data):
- es, en: public parsers' fixtures and bug reports, gathered in shared/notes/whatsapp-formats.md, and the
  chat-miner fixtures vendored in tests/data/conformance.
- de, pt: the iOS and Android exports quoted in issue 11 (Bild/Sticker weggelassen, Diese Nachricht wurde
  gelöscht, <Diese Nachricht wurde bearbeitet.>, Mensagem apagada, <Mensagem editada>), completed from public
  projects that parse German and Brazilian exports (`<Medien ausgeschlossen>`, `(Datei angehängt)`,
  `<Arquivo de mídia oculto>`, `imagem ocultada`, `figurinha omitida`).
- fr, it, nl: public projects that parse French, Italian and Dutch exports (`<Médias omis>`, `image absente`,
  `GIF retiré`, `<Media omessi>`, `immagine omessa`, `GIF esclusa`, `<Media weggelaten>`, `(bestand bijgevoegd)`,
  `Dit bericht is verwijderd`), and WhatsApp's own wording of the same events.
A language that is missing still parses: its text messages are text, and its iOS system and media lines are
told apart by the U+200E rule alone (counted as unrecognised system lines in metrics/data.json).
"""

from __future__ import annotations

Row = tuple[str, str, str]

ES: list[Row] = [
    ("media", "is", "<Multimedia omitido>"), ("media", "is", "<Multimedia omitidos>"), ("media", "is", "<Archivo omitido>"),
    ("media", "is", "imagen omitida"), ("media", "is", "foto omitida"), ("media", "is", "audio omitido"),
    ("media", "is", "video omitido"), ("media", "is", "vídeo omitido"), ("media", "is", "sticker omitido"),
    ("media", "is", "GIF omitido"), ("media", "is", "Tarjeta de contacto omitida"), ("media", "is", "documento omitido"),
    ("media", "is", "Mensaje de voz omitido"), ("media", "is", "Ubicación en tiempo real compartida"),
    ("media", "ends", " (archivo adjunto)"), ("media", "ends", "documento omitido"), ("media", "starts", "<adjunto: "),
    ("media", "starts", "Ubicación: http"), ("media", "starts", "Ubicación en tiempo real"),
    ("deleted", "is", "Se eliminó este mensaje."), ("deleted", "is", "Este mensaje fue eliminado."),
    ("deleted", "is", "Eliminaste este mensaje."),
    ("edited", "ends", "<Se editó este mensaje.>"), ("edited", "ends", "<Se editó este mensaje>"),
    ("system", "starts", "Los mensajes y las llamadas están cifrados de extremo a extremo"),
    ("system", "starts", "Los mensajes y llamadas están cifrados de extremo a extremo"),
    ("system", "starts", "Tus mensajes y llamadas ahora están protegidos"),
    ("system", "starts", "Los mensajes que envíes a este chat y las llamadas"),
    ("system", "starts", "Los mensajes que envíes a este grupo"),
    ("system", "starts", "Cambió tu código de seguridad con"), ("system", "starts", "Tu código de seguridad con"),
    ("system", "starts", "Llamada perdida"), ("system", "starts", "Llamada de voz perdida"),
    ("system", "starts", "Videollamada perdida"), ("system", "starts", "Llamada de video perdida"),
    ("system", "starts", "Activaste los mensajes temporales"), ("system", "starts", "Desactivaste los mensajes temporales"),
    ("system", "starts", "Bloqueaste a este contacto"), ("system", "starts", "Desbloqueaste a este contacto"),
    ("system", "starts", "Ahora eres admin"), ("system", "starts", "Creaste el grupo"), ("system", "starts", "Te añadieron"),
    ("system", "starts", "Saliste del grupo"), ("system", "starts", "Se eliminó este grupo"),
    ("system", "has", "cifrados de extremo a extremo"), ("system", "has", "cifrado de extremo a extremo"),
    ("system", "has", "código de seguridad"), ("system", "has", "creó el grupo"), ("system", "has", "creó este grupo"),
    ("system", "has", "te añadió"), ("system", "has", "añadió a"), ("system", "has", "añadiste a"),
    ("system", "has", "eliminó a"), ("system", "has", "eliminaste a"), ("system", "has", "salió del grupo"),
    ("system", "has", "se unió usando"), ("system", "has", "cambió el asunto"), ("system", "has", "cambiaste el asunto"),
    ("system", "has", "cambió el nombre"), ("system", "has", "cambió la foto del grupo"),
    ("system", "has", "cambió el ícono del grupo"), ("system", "has", "cambió la descripción"),
    ("system", "has", "cambiaste la descripción"), ("system", "has", "mensajes temporales"),
    ("system", "has", "cambió su número"), ("system", "has", "cambió a un nuevo número"), ("system", "has", "fijó un mensaje"),
]  # fmt: skip

EN: list[Row] = [
    ("media", "is", "<Media omitted>"), ("media", "is", "image omitted"), ("media", "is", "photo omitted"),
    ("media", "is", "audio omitted"), ("media", "is", "video omitted"), ("media", "is", "sticker omitted"),
    ("media", "is", "GIF omitted"), ("media", "is", "Contact card omitted"), ("media", "is", "document omitted"),
    ("media", "is", "Voice message omitted"), ("media", "is", "Live location shared"), ("media", "is", "null"),
    ("media", "ends", " (file attached)"), ("media", "ends", "document omitted"), ("media", "starts", "<attached: "),
    ("media", "starts", "Location: http"), ("media", "starts", "Live location"),
    ("deleted", "is", "This message was deleted."), ("deleted", "is", "You deleted this message."),
    ("edited", "ends", "<This message was edited>"),
    ("system", "starts", "Messages and calls are end-to-end encrypted"),
    ("system", "starts", "Messages to this group are now secured"),
    ("system", "starts", "Messages you send to this chat and calls are now secured"),
    ("system", "starts", "Messages you send to this group are now secured"), ("system", "starts", "Your security code with"),
    ("system", "starts", "Missed voice call"), ("system", "starts", "Missed video call"), ("system", "starts", "Missed group"),
    ("system", "starts", "You blocked this contact"), ("system", "starts", "You unblocked this contact"),
    ("system", "starts", "You turned on disappearing messages"), ("system", "starts", "You turned off disappearing messages"),
    ("system", "starts", "You're now an admin"), ("system", "starts", "You are now an admin"),
    ("system", "starts", "You created group"), ("system", "starts", "You were added"), ("system", "starts", "You left"),
    ("system", "has", "end-to-end encrypted"), ("system", "has", "end-to-end encryption"), ("system", "has", "security code"),
    ("system", "has", "created group"), ("system", "has", "created this group"), ("system", "has", " added "),
    ("system", "has", " removed "), ("system", "has", "joined using"), ("system", "has", "changed the subject"),
    ("system", "has", "changed the group"), ("system", "has", "changed this group's"), ("system", "has", "now an admin"),
    ("system", "has", "disappearing messages"), ("system", "has", "changed their phone number"),
    ("system", "has", "changed to a new number"), ("system", "has", "pinned a message"),
]  # fmt: skip

PT: list[Row] = [
    ("media", "is", "<Arquivo de mídia oculto>"), ("media", "is", "<Mídia oculta>"), ("media", "is", "imagem ocultada"),
    ("media", "is", "vídeo omitido"), ("media", "is", "áudio ocultado"), ("media", "is", "figurinha omitida"),
    ("media", "is", "GIF omitido"), ("media", "is", "Cartão do contato omitido"), ("media", "ends", " (arquivo anexado)"),
    ("media", "starts", "<anexado: "), ("media", "starts", "Localização: http"),
    ("deleted", "is", "Esta mensagem foi apagada."), ("deleted", "is", "Mensagem apagada"),
    ("deleted", "is", "Você apagou esta mensagem."),
    ("edited", "ends", "<Mensagem editada>"),
    ("system", "starts", "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta"),
    ("system", "starts", "As mensagens e ligações são protegidas com criptografia de ponta a ponta"),
    ("system", "starts", "Chamada de voz perdida"), ("system", "starts", "Chamada de vídeo perdida"),
    ("system", "has", "criptografia de ponta a ponta"), ("system", "has", "código de segurança"),
    ("system", "has", "criou o grupo"), ("system", "has", "adicionou"), ("system", "has", "removeu"),
    ("system", "has", "saiu do grupo"), ("system", "has", "entrou usando o link"), ("system", "has", "mudou o assunto"),
    ("system", "has", "mudou a descrição"), ("system", "has", "mudou a imagem"), ("system", "has", "mensagens temporárias"),
]  # fmt: skip

DE: list[Row] = [
    ("media", "is", "<Medien ausgeschlossen>"), ("media", "is", "Bild weggelassen"), ("media", "is", "Video weggelassen"),
    ("media", "is", "Audio weggelassen"), ("media", "is", "Sticker weggelassen"), ("media", "is", "GIF weggelassen"),
    ("media", "is", "Kontaktkarte ausgelassen"), ("media", "ends", " (Datei angehängt)"), ("media", "ends", "Dokument weggelassen"),
    ("media", "starts", "<Anhang: "), ("media", "starts", "Standort: http"),
    ("deleted", "is", "Diese Nachricht wurde gelöscht."), ("deleted", "is", "Du hast diese Nachricht gelöscht."),
    ("edited", "ends", "<Diese Nachricht wurde bearbeitet.>"), ("edited", "ends", "<Diese Nachricht wurde bearbeitet>"),
    ("system", "starts", "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt"),
    ("system", "starts", "Verpasster Sprachanruf"), ("system", "starts", "Verpasster Videoanruf"),
    ("system", "has", "Ende-zu-Ende-verschlüsselt"), ("system", "has", "Ende-zu-Ende-Verschlüsselung"),
    ("system", "has", "Sicherheitsnummer"), ("system", "has", "hat die Gruppe"), ("system", "has", "hinzugefügt"),
    ("system", "has", "entfernt"), ("system", "has", "verlassen"), ("system", "has", "beigetreten"),
    ("system", "has", "den Betreff"), ("system", "has", "die Gruppenbeschreibung"), ("system", "has", "das Gruppenbild"),
    ("system", "has", "selbstlöschende Nachrichten"),
]  # fmt: skip

FR: list[Row] = [
    ("media", "is", "<Médias omis>"), ("media", "is", "<Fichier omis>"), ("media", "is", "image absente"),
    ("media", "is", "vidéo absente"), ("media", "is", "audio omis"), ("media", "is", "sticker omis"),
    ("media", "is", "GIF retiré"), ("media", "is", "Fiche contact omise"), ("media", "ends", " (fichier joint)"),
    ("media", "ends", "document omis"), ("media", "starts", "<joint: "), ("media", "starts", "Position : http"),
    ("deleted", "is", "Ce message a été supprimé."), ("deleted", "is", "Vous avez supprimé ce message."),
    ("edited", "ends", "<Ce message a été modifié>"),
    ("system", "starts", "Les messages et les appels sont chiffrés de bout en bout"),
    ("system", "starts", "Appel vocal manqué"), ("system", "starts", "Appel vidéo manqué"),
    ("system", "has", "chiffrés de bout en bout"), ("system", "has", "code de sécurité"), ("system", "has", "a créé le groupe"),
    ("system", "has", "a ajouté"), ("system", "has", "a été ajouté"), ("system", "has", "a retiré"), ("system", "has", "est parti"),
    ("system", "has", "a rejoint"), ("system", "has", "a changé le sujet"), ("system", "has", "a changé la description"),
    ("system", "has", "a changé l'icône"), ("system", "has", "messages éphémères"),
]  # fmt: skip

IT: list[Row] = [
    ("media", "is", "<Media omessi>"), ("media", "is", "immagine omessa"), ("media", "is", "video omesso"),
    ("media", "is", "audio omesso"), ("media", "is", "sticker omesso"), ("media", "is", "GIF esclusa"),
    ("media", "is", "scheda contatto omessa"), ("media", "ends", " (file allegato)"), ("media", "ends", "documento omesso"),
    ("media", "starts", "<allegato: "), ("media", "starts", "Posizione: http"),
    ("deleted", "is", "Questo messaggio è stato eliminato."), ("deleted", "is", "Hai eliminato questo messaggio."),
    ("edited", "ends", "<Questo messaggio è stato modificato>"),
    ("system", "starts", "I messaggi e le chiamate sono crittografati end-to-end"),
    ("system", "starts", "Chiamata vocale persa"), ("system", "starts", "Videochiamata persa"),
    ("system", "has", "crittografati end-to-end"), ("system", "has", "codice di sicurezza"), ("system", "has", "ha creato il gruppo"),
    ("system", "has", "ha aggiunto"), ("system", "has", "ha rimosso"), ("system", "has", "è uscito"), ("system", "has", "è uscita"),
    ("system", "has", "si è unito"), ("system", "has", "ha cambiato l'oggetto"), ("system", "has", "ha cambiato la descrizione"),
    ("system", "has", "ha cambiato l'immagine"), ("system", "has", "messaggi effimeri"),
]  # fmt: skip

NL: list[Row] = [
    ("media", "is", "<Media weggelaten>"), ("media", "is", "afbeelding weggelaten"), ("media", "is", "video weggelaten"),
    ("media", "is", "audio weggelaten"), ("media", "is", "sticker weggelaten"), ("media", "is", "GIF weggelaten"),
    ("media", "is", "contactkaart weggelaten"), ("media", "ends", " (bestand bijgevoegd)"), ("media", "ends", "document weggelaten"),
    ("media", "starts", "<bijgevoegd: "), ("media", "starts", "Locatie: http"),
    ("deleted", "is", "Dit bericht is verwijderd."), ("deleted", "is", "Je hebt dit bericht verwijderd."),
    ("edited", "ends", "<Dit bericht is bewerkt>"),
    ("system", "starts", "Berichten en gesprekken worden end-to-end versleuteld"),
    ("system", "starts", "Gemiste spraakoproep"), ("system", "starts", "Gemiste video-oproep"),
    ("system", "has", "end-to-end versleuteld"), ("system", "has", "beveiligingscode"), ("system", "has", "heeft groep"),
    ("system", "has", "heeft de groep"), ("system", "has", "toegevoegd"), ("system", "has", "verwijderd"),
    ("system", "has", "is vertrokken"), ("system", "has", "heeft het onderwerp"), ("system", "has", "heeft de groepsbeschrijving"),
    ("system", "has", "heeft de groepsafbeelding"), ("system", "has", "is lid geworden"), ("system", "has", "verdwijnende berichten"),
]  # fmt: skip

LOCALES: dict[str, list[Row]] = {"es": ES, "en": EN, "pt": PT, "de": DE, "fr": FR, "it": IT, "nl": NL}
