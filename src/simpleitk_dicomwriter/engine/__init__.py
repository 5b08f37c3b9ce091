"""The GDCM engine: priming its global state, the slice loop, the sequence pass.

The only code that calls ``SimpleITK.ImageFileWriter``.
"""
