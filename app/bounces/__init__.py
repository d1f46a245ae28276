"""Bounces and complaints: VERP tokens, DSN reading, SNS notifications, bounce scores."""
