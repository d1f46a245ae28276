"""A person's data: everything stored about one address, exported as JSON or erased (admins only)."""
