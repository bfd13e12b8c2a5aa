"""Reads of publishing; every one names the organization first."""

from __future__ import annotations
