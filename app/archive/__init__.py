"""The list archive: raw messages as the source of truth, pages, search, mbox export and import.

Modelled on public-inbox: every index (threads, search, months) can be rebuilt from the stored bytes, and
permalinks are derived from the Message-ID, so links outlive a rebuild or a move to another database.
"""
