"""``{{ case|next_action_state }}``: the state label of a case's next action (planned / due), as the
API's ``next_action_state`` (selectors.actions.next_action_state, against the business date)."""
from django import template

from collections_app.models import ActionState
from collections_app.selectors.actions import next_action_state as state_of
from collections_app.selectors.loan_figures import business_date

register = template.Library()


@register.filter
def next_action_state(case) -> str:
    state = state_of(case, today=business_date())
    return ActionState(state).label if state else ""
