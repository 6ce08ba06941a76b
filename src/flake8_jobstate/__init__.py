"""flake8-jobstate: find misuse of Vertex AI job-state enums."""

__version__ = "0.1.0"
