"""QR code of a procedure's online-service address, as a Kivy texture (made with ``qrcode``)."""

from __future__ import annotations

import qrcode
from kivy.graphics.texture import Texture

QUIET = 2  # modules of white border around the code


def qr_matrix(url: str) -> list[list[bool]]:
    """Dark modules as True, including a quiet zone; rows top to bottom."""
    qr = qrcode.QRCode(border=QUIET, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    qr.make(fit=True)
    return [list(map(bool, row)) for row in qr.get_matrix()]


def qr_texture(url: str) -> Texture:
    """An RGBA texture, one texel per module (shown with nearest filtering, so it stays sharp).

    RGBA (4 bytes per texel) keeps every row 4-byte aligned whatever the module count."""
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
