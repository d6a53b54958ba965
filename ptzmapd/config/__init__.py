"""Configuration: YAML with marks, validated into :mod:`.model` objects."""

from ptzmapd.config.load import load_config, summarize
from ptzmapd.errors import ConfigError

__all__ = ["ConfigError", "load_config", "summarize"]
