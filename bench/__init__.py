"""`python -m bench`: speed as ratios against a baseline measured in the same run.

Every measurement compares our code with the bare work it cannot avoid (the DynamoDB calls it needs,
the transaction it writes, the libraries it imports), timed in the same process and run, interleaved,
median of several repetitions. Absolute numbers depend on the machine; the ratios should not.

Modules: stack (moto server, tables, in-process handlers), timing (medians, interleaving),
setup (tenants and catalogs), and one module per measurement: slots, booking, cold_import, engine.
"""
