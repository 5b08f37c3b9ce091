"""The engine: the slice loop that encodes and writes every file, and the codecs."""
