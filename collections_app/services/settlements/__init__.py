"""Settlement offers and payment plans (docs/settlements.md): proposing them (offers.py, plans.py), the
effect of an approval decision (decisions.py), and judging them by payments in every chunk of the
delinquency run and after every payment (judge.py)."""
