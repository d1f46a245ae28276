"""The processing pipeline: moderate, prepare, fan out, deliver."""
