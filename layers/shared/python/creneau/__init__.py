"""Creneau: appointment booking on API Gateway, Lambda and DynamoDB.

Layers: `domain` is pure (no I/O), `dal` holds one data-access module per aggregate,
`logic` orchestrates both, `http` maps the API onto Powertools' resolver.
"""
