"""Job plumbing: RQ entry points, the one enqueue helper, the reconciler and worker start-up."""
