"""Inputs from paths: SimpleITK formats, .npy, DICOM series and templates, Interfile, examples."""
