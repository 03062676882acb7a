"""Celery tasks: thin interfaces that take ids and call services. One module per area."""
from .agency import *  # noqa: F401,F403
from .dashboard import *  # noqa: F401,F403
from .delinquency import *  # noqa: F401,F403
from .imports import *  # noqa: F401,F403
from .messages import *  # noqa: F401,F403
from .reports import *  # noqa: F401,F403
from .retention import *  # noqa: F401,F403
from .strategy_versions import *  # noqa: F401,F403
