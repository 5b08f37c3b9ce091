"""What a send did: :class:`SendReport`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["SendReport"]


@dataclass
class SendReport:
    """Outcome of :func:`~simpleitk_dicomwriter.send_series`.

    Attributes
    ----------
    ok : bool
        Every file was stored (and, with ``confirm``, the peer holds them all).
    destination : str
        Where the series was sent.
    sent : int
        Files the peer stored.
    failed : list of dict
        ``{"file", "status", "reason"}`` for each file the peer refused.
    series_instance_uid : str or None
        The series sent.
    seconds : float
        Wall time of the send.
    confirmed : int or None
        With ``confirm``: how many instances of the series the peer says it holds.
    associations : int
        DICOM associations opened (more than 1 when one was aborted and resumed).
    """

    ok: bool
    destination: str
    sent: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    series_instance_uid: str | None = None
    seconds: float = 0.0
    confirmed: int | None = None
    associations: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the report."""
        return asdict(self)
