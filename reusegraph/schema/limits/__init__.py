"""Limits on what one request may cost and one caller may spend."""
