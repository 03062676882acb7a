from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; ``?page=`` (from 1) and ``?page_size=`` (1–500).

    A page or page size that is not a positive whole number is a 400, not silently the first page;
    a page past the end is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def _positive(self, request, name):
        raw = request.query_params.get(name)
        if raw is None:
            return None
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise ValidationError({name: [_("Enter a whole number from 1.")]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self._positive(request, self.page_query_param)
        self._positive(request, self.page_size_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        size = self._positive(request, self.page_size_query_param)
        if size is None:
            return self.page_size
        return min(size, self.max_page_size)

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        props = out["properties"]
        texts = {
            "count": _("Number of results across all pages."),
            "next": _("URL of the next page, or null."),
            "previous": _("URL of the previous page, or null."),
        }
        for key, text in texts.items():
            if isinstance(props.get(key), dict):
                props[key] = {**props[key], "description": str(text)}
        return out

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"]["minimum"] = 1
        return params
