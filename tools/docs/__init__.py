"""The documentation's examples, made by running them: `python -m tools.docs` (`make docs`)
rewrites every example block of README.md and docs/ from a fresh run of the command it
shows; `--check` (`make docs-check`, in `make test`) fails when a block differs. Entries:
`tools.docs.examples`; where the commands run: `tools.docs.scenarios`; what is masked (ids,
times, temporary paths): `tools.docs.masks`.
"""
