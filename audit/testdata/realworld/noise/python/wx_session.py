from dataclasses import dataclass
from typing import Optional


@dataclass
class WxSession:
    openid: str = ""
    unionid: Optional[str] = None
    session_key = None  # filled on the server only, never serialized


def get_session_key(openid):
    """Returns the session_key kept for openid, or None."""
    session_key = None
    return session_key
