"""Allocating cases to collectors.

INTERFACE (filled in by the supervisor/foundation work):

    def assign_cases(*, case_ids, to_user, by_user=None, reason="") -> int
        Assign (or unassign with to_user=None) and record AssignmentHistory for each changed case.
    def auto_allocate(*, case_ids=None) -> int
        Allocate unassigned open cases by the rules (team lender/bucket/region, workload balance).
    def hand_over(*, from_user, to_user, by_user) -> int
"""
