"""DICOM vocabulary: elements, value rules, IODs, series headers, sequences, templates.

Pure: pydicom's data dictionary and validators, no SimpleITK, no file system.
"""
