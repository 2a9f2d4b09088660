"""gemelo: turn exported WhatsApp chats into a chatbot that writes like their author."""

__version__ = "0.1.0"


class UserError(Exception):
    """A mistake in the user's input or set-up: shown as one line, never as a traceback."""
