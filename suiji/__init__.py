"""Suiji: an open 双随机、一公开 supervision platform."""

__version__ = "0.1.0"
