"""Lists: finding them, creating and deleting them, their settings registry, and who runs them."""
