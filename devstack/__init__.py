"""The local stack: `python -m devstack` runs Creneau on one machine with no AWS account.

Kept light on purpose: worker processes import this package, so nothing heavy is imported here.
"""
