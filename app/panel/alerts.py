"""Banners every admin page shows: problems that need a person (an open relay fault)."""

from __future__ import annotations

from flask_login import current_user

from app.models import RelayFault
from app.pipeline.relayfault import open_faults


def relay_faults_for_banner() -> list[RelayFault]:
    """Open relay faults, for site admins only (they are the ones who can fix the relay)."""
    if not current_user.is_authenticated or not current_user.is_admin:
        return []

    return open_faults()
