"""The benchmark: real-size data through the real bot (``uv run python -m bench``).

See the README's "Performance" section.
"""
