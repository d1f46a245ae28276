"""Ingress: validate, store the raw bytes durably, enqueue. No processing here."""

from app.ingress.accept import Envelope, accept

__all__ = ["Envelope", "accept"]
