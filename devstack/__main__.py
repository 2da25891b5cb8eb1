# The "spawn" worker processes re-run this module as __mp_main__: import nothing unless we are main.
if __name__ == "__main__":
    from devstack.cli import main

    raise SystemExit(main())
