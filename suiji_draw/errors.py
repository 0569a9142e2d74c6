"""Errors raised by the sampling engine.

Every refusal carries a stable machine code and one message in Chinese and one in English, so the
web layer can show the message in the user's language and tests can assert on the code.
"""

from __future__ import annotations


class DrawInputError(ValueError):
    """Bad input to a draw: the draw is refused and nothing is produced."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_en} / {message_zh}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    def message(self, language: str = "zh") -> str:
        """Return the message for a language code ("zh..." gives Chinese, anything else English)."""
        return self.message_zh if language.lower().startswith("zh") else self.message_en
