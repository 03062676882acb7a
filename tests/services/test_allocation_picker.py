"""CollectorPicker (auto_allocate's loop) chooses, case after case, exactly the collector that
``pick_collector`` — the rule, one case against every collector — would choose with the same loads."""
from hypothesis import given, settings
from hypothesis import strategies as st

from collections_app.services.allocation import CollectorPicker, pick_collector

LENDERS = [1, 2]
BUCKETS = ["M0", "M1", "M2", "M3"]
REGIONS = ["", "north", "south"]
LANGUAGES = ["", "en", "zh", "en,zh"]

team = st.fixed_dictionaries({
    "team_lender_id": st.sampled_from([None, *LENDERS]),
    "buckets": st.sets(st.sampled_from(BUCKETS), max_size=2),
    "team_region": st.sampled_from(REGIONS),
})
# a few teams, many collectors each: collectors who differ only in workload, maximum and id
member = st.tuples(st.integers(0, 2), st.sampled_from(LANGUAGES[:2]), st.integers(0, 6))
case = st.fixed_dictionaries({
    "lender_id": st.sampled_from(LENDERS),
    "bucket": st.sampled_from([b.lower() for b in BUCKETS] + BUCKETS),
    "region": st.sampled_from(REGIONS + [None]),
    "language": st.sampled_from(["", "EN ", "zh", None, "fr"]),
})


@settings(max_examples=300, deadline=None)
@given(teams=st.lists(team, min_size=3, max_size=3), members=st.lists(member, max_size=12),
       cases=st.lists(case, max_size=40), loads=st.lists(st.integers(0, 7), min_size=12, max_size=12))
def test_the_picker_chooses_what_the_rule_chooses(teams, members, cases, loads):
    collectors = [teams[t] | {"id": 10 + i, "languages": languages, "max_open_cases": most}
                  for i, (t, languages, most) in enumerate(members)]
    load = {c["id"]: loads[i] for i, c in enumerate(collectors) if loads[i]}
    expected_load, picked = dict(load), []
    for one in cases:
        user = pick_collector(one, collectors, expected_load)
        if user is not None:
            expected_load[user] = expected_load.get(user, 0) + 1
        picked.append(user)
    picker = CollectorPicker(collectors, dict(load))
    assert [picker.pick(one) for one in cases] == picked
    assert picker.load == expected_load


def test_ties_go_to_the_lowest_workload_then_the_lowest_id():
    pool = [{"id": i, "team_lender_id": None, "buckets": set(), "team_region": "", "languages": "",
             "max_open_cases": 2} for i in (3, 1, 2)]
    picker = CollectorPicker(pool, {3: 1})
    one = {"lender_id": 1, "bucket": "M1", "region": "", "language": ""}
    assert [picker.pick(one) for _ in range(6)] == [1, 2, 1, 2, 3, None]
