"""Configuration: YAML with marks, validated into :mod:`.model` objects."""

from ptzmapd.config.loader import load_config
from ptzmapd.config.summary import summarize
from ptzmapd.errors import ConfigError

__all__ = ["ConfigError", "load_config", "summarize"]
