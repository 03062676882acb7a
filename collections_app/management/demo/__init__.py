"""The parts of ``manage.py seed_demo``: reference data (reference.py) and the casework on the cases
the engine opened (casework.py)."""
