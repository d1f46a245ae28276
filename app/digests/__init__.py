"""Digests: posts collected per list, built once per issue (MIME and RFC 1153), delivered like posts."""
