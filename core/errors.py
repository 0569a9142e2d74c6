"""The one shape of a refused action, shared by every app's services (no Django import)."""

from __future__ import annotations


class Refused(Exception):
    """A refused action: a machine ``code``, the message in Chinese and in English, an HTTP-like status.

    Each app subclasses it under its own name (``WorkflowError``, ``PlanError`` …) so that its pages and
    endpoints catch what its own services raise; the API turns any of them into the same JSON body.
    """

    default_status = 422

    def __init__(self, code: str, message_zh: str, message_en: str, status: int | None = None) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.status = self.default_status if status is None else status
