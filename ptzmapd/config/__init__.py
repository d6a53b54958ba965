"""Configuration: YAML with marks, validated into :mod:`.model` objects."""
