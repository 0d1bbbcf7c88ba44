"""Jinja2 templates and static assets of the printed form and the website (package data)."""
