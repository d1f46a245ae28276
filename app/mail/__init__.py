"""Mail-format tools that need no database: addresses, raw messages, MIME, header safety, templates, tokens."""
