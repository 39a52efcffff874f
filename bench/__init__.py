"""The benchmark: real-size data through the real bot (see bench/README)."""
