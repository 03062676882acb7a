"""One error shape for the API: bad input is a 400 with field-level messages, never a 500.

* Django ``ValidationError`` raised by a service becomes a DRF 400 (field → messages).
* A database ``IntegrityError`` (a row that conflicts with another) becomes 409, a ``DataError``
  (a value the column cannot hold) becomes 400.
* Error bodies are always JSON objects: a bare list of messages is wrapped as ``non_field_errors``.
"""
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def django_validation_error_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        out = {}
        for field, messages in exc.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field
            out[key] = list(messages)
        return out
    return {api_settings.NON_FIELD_ERRORS_KEY: list(exc.messages)}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_validation_error_detail(exc))
    elif isinstance(exc, IntegrityError):
        logger.info("API integrity error: %s", exc)
        return Response(
            {"detail": _("This conflicts with data already stored (a duplicate or a row still in use).")},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, DataError):
        logger.info("API data error: %s", exc)
        return Response(
            {"detail": _("A value is out of range or not valid for its field.")}, status=status.HTTP_400_BAD_REQUEST
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {api_settings.NON_FIELD_ERRORS_KEY: response.data}
    return response
