"""Mail to a list's own addresses: -request commands, -join, -leave, -confirm+TOKEN, -owner forwarding.

Each processor runs in the RQ worker (registered in app/pipeline/roles.py), never in the SMTP transaction.
"""
