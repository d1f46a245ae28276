"""The processing pipeline: decide, prepare, fan out, deliver."""
