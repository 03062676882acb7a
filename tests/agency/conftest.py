import datetime as dt

import pytest

from tests import factories as f
from tests.agency.factories import AgencyFactory

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def business_day(settings):
    settings.BUSINESS_DATE = TODAY.isoformat()
    return TODAY


@pytest.fixture
def team_setup(db):
    """A supervisor's team with a collector, a second supervisor (the checker) in the same team."""
    sup = f.SupervisorFactory(username="sup1")
    team = f.TeamFactory(supervisor=sup)
    collector = f.CollectorFactory(username="col1", team=team)
    checker = f.AdminFactory(username="admin1")
    return {"sup": sup, "team": team, "collector": collector, "admin": checker}


@pytest.fixture
def agency(db):
    agency = AgencyFactory(name="Acme Recovery")
    agency.rates.create(bucket="M2", rate="0.1500")
    agency.rates.create(bucket="M4+", rate="0.3000")
    return agency
