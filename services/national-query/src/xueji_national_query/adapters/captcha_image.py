"""Drawing a captcha answer as a distorted PNG (the `captcha` package)."""

from __future__ import annotations

import threading

from captcha.image import ImageCaptcha

_local = threading.local()


def draw_png(answer: str) -> bytes:
    generator = getattr(_local, "generator", None)
    if generator is None:  # one per thread: the generator caches fonts lazily
        generator = _local.generator = ImageCaptcha(width=160, height=60)
    return generator.generate(answer, format="png").getvalue()
