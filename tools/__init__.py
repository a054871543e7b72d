"""Tools for people who work on the project, run from its folder: the AWS API emulator a
newcomer can drive the AWS verbs against (`python -m tools.emulator`, `make emulator`) and
the generator of the documentation's examples (`python -m tools.docs`, `make docs`).

Nothing in `automation`, `etl` or `infra` imports this package (an import contract in
pyproject.toml); the tests do.
"""
