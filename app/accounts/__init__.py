"""Panel accounts and what belongs to them: API tokens."""
