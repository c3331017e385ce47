"""Ish CD: a self-hosted, API-first runner for ops jobs and CI/CD pipelines."""

__version__ = "0.1.0"
