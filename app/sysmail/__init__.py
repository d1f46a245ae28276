"""Mail the system itself writes: notices, confirmations, replies and forwards."""
