"""QR code of a procedure's online-service address, as a Kivy texture (made with ``qrcode``).

Drawing the code must never take the kiosk down: an address too long for any QR version (a
3,026-character URL raises ``DataOverflowError``), or any other failure, gives ``None`` and a logged
error, and the answer screen shows the card without the code.
"""

from __future__ import annotations

import logging

import qrcode
from kivy.graphics.texture import Texture

log = logging.getLogger(__name__)

QUIET = 2  # modules of white border around the code


def qr_matrix(url: str) -> list[list[bool]]:
    """Dark modules as True, including a quiet zone; rows top to bottom."""
    qr = qrcode.QRCode(border=QUIET, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    qr.make(fit=True)
    return [list(map(bool, row)) for row in qr.get_matrix()]


def qr_texture(url: str) -> Texture | None:
    """An RGBA texture, one texel per module (shown with nearest filtering, so it stays sharp), or
    None when the code cannot be made (logged; the caller leaves the code out).

    RGBA (4 bytes per texel) keeps every row 4-byte aligned whatever the module count."""
    try:
        return _texture(url)
    except Exception:  # widget boundary: qrcode/Kivy raise many types; one widget must not kill the app
        log.exception("cannot draw the QR code for an online address of %d characters; shown without it",
                      len(url))
        return None


def _texture(url: str) -> Texture:
    rows = qr_matrix(url)
    n = len(rows)
    black, white = b"\x00\x00\x00\xff", b"\xff\xff\xff\xff"
    # Kivy textures start at the bottom row
    data = b"".join(black if dark else white for row in reversed(rows) for dark in row)
    tex = Texture.create(size=(n, n), colorfmt="rgba")
    tex.blit_buffer(data, colorfmt="rgba", bufferfmt="ubyte")
    tex.mag_filter = "nearest"
    tex.min_filter = "nearest"
    return tex
