"""The post log: finding posts and saying what became of one (the panel's post pages and `mailflow posts`)."""
