"""Telling subscribers that something changed: webhook signing and target checks (issue 16)."""
