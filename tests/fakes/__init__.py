"""Local HTTPS fakes of Google (OAuth, Calendar v3) and Microsoft (identity, Graph) for the sync
tests: they answer like the real services (their error bodies, paging, sync tokens, 409 on a taken
id, 410, 429 with Retry-After, invalid_grant), over TLS from a CA made by the test; and an in-memory
table for unit tests of repositories (memory_table.py)."""
