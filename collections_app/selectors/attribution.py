"""Who held a case, and which bucket a loan was in, at a given time — as SQL expressions to annotate
querysets with, so figures credit the holder *of the time* in one query (docs/kpis.md, "Credit").

The holder of a case at an instant is the collector (and team) of its last AssignmentHistory row at
or before that instant; before its first row, the first row's ``from_user`` and ``from_team`` (the
case's team when it left them), or — the case's first allocation, from nobody — the collector and
team it was first given to; a case with no history at all is credited to its collector and team now.
Every value is read from rows written at the time, so nothing that happens later (a case moved, a
collector moved to another team) changes who held a case in the past.

Allocation writes a case's rows and its collector and team together, and ``holder_since`` (when its
last row was written): from then on the case's collector and team now are that row's, so a row of
work done later is credited without a lookup — most of them, since cases move rarely.
"""
from __future__ import annotations

from django.db.models import Case, CharField, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, NullIf

from collections_app.models import AssignmentHistory, BucketHistory

NONE = 0


def _rows(case_ref: str, up_to: dict, after: dict):
    case = OuterRef(case_ref)
    before = AssignmentHistory.objects.filter(case=case, **up_to).order_by("-at", "-id")
    later = AssignmentHistory.objects.filter(case=case, **after).order_by("at", "id")
    return before, later


def holder_exprs(case_ref: str, case_path: str, *, instant: str | None = None, day: str | None = None,
                 day_value=None, fast: bool = True) -> dict:
    """``{"_holder": …, "_holder_team": …}`` for the case at ``case_ref`` (an outer field name).

    The instant is a datetime field of the outer row (``instant``), or the end of a business date:
    an outer date field (``day``) or a constant date (``day_value``), in TIME_ZONE. ``case_path`` is the
    outer path to the case ("" when the outer row is the case), for the fallback to its current
    collector and team.

    A case whose last history row was written by then (``holder_since`` at or before the instant, or
    on or before the date) is held by its collector and team now — its team empty when it has no
    collector, as that row says — with no lookup; only the other rows look the history up
    (``fast=False``: every row does, which tests hold equal)."""
    if instant is not None:
        up_to, after = {"at__lte": OuterRef(instant)}, {"at__gt": OuterRef(instant)}
    else:
        bound = OuterRef(day) if day is not None else Value(day_value)
        up_to, after = {"at__date__lte": bound}, {"at__date__gt": bound}
    before, later = _rows(case_ref, up_to, after)
    prefix = f"{case_path}__" if case_path else ""
    holder, team = _looked_up(before, later, prefix)
    if not fast:
        return {"_holder": holder, "_holder_team": team}
    if instant is not None:
        held = Q(**{f"{prefix}holder_since__lte": F(instant)})
    else:
        held = Q(**{f"{prefix}holder_since__date__lte": F(day) if day is not None else day_value})
    nobody = Q(**{f"{prefix}assigned_to__isnull": True})
    return {
        "_holder": Case(When(held, then=F(f"{prefix}assigned_to")), default=holder, output_field=IntegerField()),
        "_holder_team": Case(When(held & nobody, then=Value(None)), When(held, then=F(f"{prefix}team")),
                             default=team, output_field=IntegerField()),
    }


def _looked_up(before, later, prefix: str):
    """The holder and team from the history rows before and after the instant (see the module)."""
    # NONE (0, never an id) stands for "a row, naming nobody": each value is then one top-1 lookup
    # that is NULL only when there is no such row, so COALESCE takes the first branch that has a row
    # and PostgreSQL evaluates the later lookups only for the rows that need them (two lookups a row
    # in the usual case, where the Case/Exists form took up to eight).
    none = Value(NONE, output_field=IntegerField())
    holder = NullIf(Coalesce(
        Subquery(before.annotate(_h=Coalesce("to_user", none, output_field=IntegerField())).values("_h")[:1]),
        Subquery(later.annotate(_h=Coalesce("from_user", "to_user", none, output_field=IntegerField())).values("_h")[:1]),
        F(f"{prefix}assigned_to"),
        output_field=IntegerField()), none, output_field=IntegerField())
    team = NullIf(Coalesce(
        Subquery(before.annotate(_t=Coalesce("team", none, output_field=IntegerField())).values("_t")[:1]),
        Subquery(later.annotate(_t=Coalesce("from_team", "team", none, output_field=IntegerField())).values("_t")[:1]),
        F(f"{prefix}team"),
        output_field=IntegerField()), none, output_field=IntegerField())
    return holder, team


def bucket_on(loan_ref: str, first_code: str, *, before_day=None, through_day=None, outer_day: str | None = None,
              strictly_before: bool = False):
    """The loan's bucket from its bucket history: the ``to_bucket`` of its last change on or before a
    date (``through_day`` constant, or the outer field ``outer_day``), or strictly before
    ``before_day``; the first bucket when it has none."""
    if outer_day is not None:
        cond = {"on_date__lt" if strictly_before else "on_date__lte": OuterRef(outer_day)}
    elif before_day is not None:
        cond = {"on_date__lt": before_day}
    else:
        cond = {"on_date__lte": through_day}
    rows = BucketHistory.objects.filter(loan=OuterRef(loan_ref), **cond).order_by("-on_date").values("to_bucket")[:1]
    return Coalesce(Subquery(rows), Value(first_code), output_field=CharField())
