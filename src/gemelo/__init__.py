"""gemelo: turn exported WhatsApp chats into a chatbot that writes like their author."""

__version__ = "0.1.0"


class UserError(Exception):
    """A mistake in the user's input or set-up: shown as one line, never as a traceback."""


def disk_full(e: OSError) -> UserError | None:
    """A full disk (or quota) as a one-line error to show; None for any other OSError, which is a bug."""
    import errno

    if e.errno not in (errno.ENOSPC, errno.EDQUOT):
        return None
    return UserError(f"the disk is full ({e.filename or 'writing the output'}); free some space and try again")
