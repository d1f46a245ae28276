"""Webhooks: signed HTTP notifications of list events (Standard Webhooks), sent by RQ with retries."""
