"""OpenAPI: every operation documents its error responses as well as its success."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """An error. ``detail`` for a general error; otherwise one key per field holding its messages
    (``non_field_errors`` for errors about the request as a whole)."""

    detail = serializers.CharField(required=False, help_text=_("What went wrong, in the user's language."))


ERROR_RESPONSES = {
    "400": OpenApiResponse(ErrorSerializer, description=_("Bad input: field-level messages.")),
    "401": OpenApiResponse(ErrorSerializer, description=_("Not signed in.")),
    "403": OpenApiResponse(ErrorSerializer, description=_("Not signed in, or the role may not do this.")),
    "404": OpenApiResponse(ErrorSerializer, description=_("No such object, or not visible to this user.")),
}


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, response in ERROR_RESPONSES.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses


def describe_fields(result, generator, request, public):
    """Postprocessing hook: a property without a description gets its title (the model field's
    verbose name), so every field in the document says what it is."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for prop in (component.get("properties") or {}).values():
            if isinstance(prop, dict) and not prop.get("description") and prop.get("title"):
                prop["description"] = prop["title"]
    return result
