"""Pipelines as code: ``.ishcd.yml`` parsed, validated and compiled into a plan.

Pure: no database, no HTTP, no git. ``compile.compile_config(text, context)``
is the front door; ``model`` holds what it returns.
"""
