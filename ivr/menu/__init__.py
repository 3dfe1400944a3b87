"""Menus: the YAML loader, the model, the lint, versions and the live catalog."""
